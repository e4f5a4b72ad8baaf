"""Snippets (integrations/mail/services/snippets.py, views/snippets.py): own and shared ones."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from integrations.mail.models import Snippet
from integrations.mail.services import snippets

pytestmark = pytest.mark.django_db
LIST = reverse("mail:snippets")


def test_a_person_keeps_their_own_snippets(member):
    snippet = snippets.create_snippet(
        actor=member, name="  Follow  up ", subject="Next steps", body="Hi {{ contact.first_name }}"
    )
    assert snippet.owner == member and snippet.name == "Follow up"
    snippets.update_snippet(actor=member, snippet=snippet, name="Follow-up", body="Hello")
    snippet.refresh_from_db()
    assert (snippet.name, snippet.subject, snippet.body) == ("Follow-up", "", "Hello")
    snippets.delete_snippet(actor=member, snippet=snippet)
    assert not Snippet.objects.exists()


def test_unknown_merge_fields_are_refused_by_name(member):
    with pytest.raises(ValidationError) as refused:
        snippets.create_snippet(actor=member, name="x", subject="{{ deal.name }}", body="ok")
    assert "Unknown merge field {{ deal.name }}" in refused.value.message_dict["subject"][0]
    assert "{{ deal.title }}" in refused.value.message_dict["subject"][0]
    assert not Snippet.objects.exists()


def test_only_admins_share_and_edit_shared_snippets(member, admin):
    with pytest.raises(PermissionDenied):
        snippets.create_snippet(actor=member, name="x", body="y", shared=True)
    shared = snippets.create_snippet(actor=admin, name="Welcome", body="Welcome!", shared=True)
    assert shared.owner is None
    with pytest.raises(PermissionDenied):
        snippets.update_snippet(actor=member, snippet=shared, name="Mine now", body="y")
    with pytest.raises(PermissionDenied):
        snippets.delete_snippet(actor=member, snippet=shared)
    mine = snippets.create_snippet(actor=member, name="Mine", body="z")
    with pytest.raises(PermissionDenied):
        snippets.update_snippet(actor=admin, snippet=mine, name="Taken", body="z")


def test_the_list_shows_own_and_shared_but_not_others(
    client, member, admin, django_assert_max_num_queries
):
    snippets.create_snippet(actor=member, name="Mine", body="a")
    snippets.create_snippet(actor=admin, name="Shared one", body="b", shared=True)
    snippets.create_snippet(actor=admin, name="Admin's own", body="c")
    for n in range(10):
        snippets.create_snippet(actor=member, name=f"More {n}", body="d")
    client.force_login(member)
    with django_assert_max_num_queries(5):
        page = client.get(LIST)
    assert "Mine" in page.text and "Shared one" in page.text and "Admin&#x27;s own" not in page.text
    shared = Snippet.objects.get(name="Shared one")
    assert reverse("mail:snippet_edit", args=[shared.pk]) not in page.text


def test_the_forms_create_edit_and_delete(client, member):
    client.force_login(member)
    form = client.get(reverse("mail:snippet_new"))
    assert form.status_code == 200 and "Shared with everyone" not in form.text
    response = client.post(
        reverse("mail:snippet_new"),
        {"name": "Thanks", "subject": "", "body": "Thanks, {{ contact.first_name }}"},
    )
    assert response.status_code == 302 and response["Location"] == LIST
    snippet = Snippet.objects.get(owner=member)
    edit = reverse("mail:snippet_edit", args=[snippet.pk])
    response = client.post(edit, {"name": "Thanks", "subject": "", "body": "{{ oops }}"})
    assert response.status_code == 422 and "Unknown merge field {{ oops }}" in response.text
    assert "{{ oops }}</textarea>" in response.text
    snippet.refresh_from_db()
    assert snippet.body == "Thanks, {{ contact.first_name }}"
    client.post(reverse("mail:snippet_delete", args=[snippet.pk]))
    assert not Snippet.objects.exists()


def test_admins_share_from_the_form(client, admin):
    client.force_login(admin)
    assert "Shared with everyone" in client.get(reverse("mail:snippet_new")).text
    client.post(reverse("mail:snippet_new"), {"name": "Hi", "body": "Hello", "shared": "on"})
    assert Snippet.objects.get().owner is None


def test_others_snippets_are_404(client, member, admin):
    theirs = snippets.create_snippet(actor=admin, name="Admin's", body="x")
    client.force_login(member)
    assert client.get(reverse("mail:snippet_edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("mail:snippet_delete", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("mail:snippet_delete", args=[theirs.pk])).status_code == 405
    assert Snippet.objects.filter(pk=theirs.pk).exists()
