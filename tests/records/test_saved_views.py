"""Saved views: save the current filters under a name, list them, delete one's own."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from records import services
from records.models import SavedView

HTMX = {"HX-Request": "true"}


@pytest.fixture
def web(client, member):
    client.force_login(member)
    return client


def save(web, list_name="tickets", name="Hot", query="status=open&priority=urgent", **extra):
    return web.post(
        reverse("records:saved_view_create", args=[list_name]),
        {"name": name, "query": query},
        **extra,
    )


def test_saving_keeps_only_the_lists_own_keys(web, member, defaults):
    response = save(
        web,
        query="?priority=urgent&page=3&csrfmiddlewaretoken=x&evil=1&status=open&q=",
        headers=HTMX,
    )
    assert response.status_code == 200
    view = SavedView.objects.get(owner=member)
    assert (view.list, view.name, view.query) == ("tickets", "Hot", "priority=urgent&status=open")
    html = response.content.decode()
    assert 'id="saved-views"' in html and "Hot" in html
    assert 'class="view-pill is-mine active"' in html  # the saved view is the one shown


def test_plain_form_post_goes_back_to_the_filtered_list(web, defaults):
    response = save(web, list_name="clients", name="Leads", query="lifecycle=lead")
    assert response.status_code == 302
    assert response["Location"] == "/clients/?lifecycle=lead"


def test_a_duplicate_name_is_refused_readably(web, member, defaults):
    save(web, name="Hot")
    response = save(web, name="  hot ", query="priority=low", headers=HTMX)
    assert "You already have a view called “hot” here; pick another name." in (
        response.content.decode()
    )
    assert SavedView.objects.filter(owner=member).count() == 1
    assert SavedView.objects.get(owner=member).query == "priority=urgent&status=open"


def test_the_same_name_is_fine_on_another_list_or_for_someone_else(member, sales_manager, defaults):
    services.save_view(actor=member, list_name="tickets", name="Mine", query="assignee=mine")
    services.save_view(actor=member, list_name="deals", name="Mine", query="owner=mine")
    services.save_view(actor=sales_manager, list_name="tickets", name="Mine", query="")
    assert SavedView.objects.count() == 3


@pytest.mark.parametrize(
    ("name", "message"),
    [("   ", "Give the view a name."), ("x" * 81, "Keep the name under 80 characters.")],
)
def test_bad_names_save_nothing(web, defaults, name, message):
    response = save(web, name=name, headers=HTMX)
    assert message in response.content.decode()
    assert not SavedView.objects.exists()


def test_unknown_list_is_404_and_get_is_refused(web, defaults):
    assert save(web, list_name="secrets").status_code == 404
    assert web.get(reverse("records:saved_view_create", args=["tickets"])).status_code == 405


def test_my_views_and_the_suggestions_show_on_the_list(web, member, sales_manager, defaults):
    services.save_view(actor=member, list_name="tickets", name="Urgent", query="priority=urgent")
    services.save_view(actor=sales_manager, list_name="tickets", name="Not yours", query="")
    html = web.get(reverse("records:ticket_list")).content.decode()
    assert "Urgent" in html and "Not yours" not in html
    assert "My open tickets" in html and "Breached SLA" in html
    assert 'href="/tickets/?assignee=mine&amp;status=open"' in html

    active = web.get(reverse("records:ticket_list"), {"status": "open", "assignee": "mine"})
    assert 'class="view-pill active" href="/tickets/?assignee=mine&amp;status=open"' in (
        active.content.decode()
    )


def test_delete_my_view(web, member, defaults):
    view = services.save_view(actor=member, list_name="clients", name="Mine", query="owner=mine")
    response = web.post(reverse("records:saved_view_delete", args=[view.pk]), headers=HTMX)
    assert response.status_code == 200
    assert not SavedView.objects.exists()
    assert 'id="saved-views"' in response.content.decode()


def test_someone_elses_view_cannot_be_deleted(web, sales_manager, defaults):
    theirs = services.save_view(actor=sales_manager, list_name="clients", name="Theirs", query="")
    response = web.post(reverse("records:saved_view_delete", args=[theirs.pk]))
    assert response.status_code == 404
    assert SavedView.objects.filter(pk=theirs.pk).exists()


def test_the_service_refuses_deleting_someone_elses_view(member, sales_manager, defaults):
    theirs = services.save_view(actor=sales_manager, list_name="clients", name="Theirs", query="")
    with pytest.raises(PermissionDenied):
        services.delete_view(actor=member, view=theirs)
    with pytest.raises(ValidationError):
        services.save_view(actor=member, list_name="secrets", name="x", query="")
