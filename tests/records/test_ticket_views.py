"""The ticket page (status, SLA, rating, controls), opening a ticket, and the live fragments."""

from datetime import timedelta
from html import unescape
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from records import services
from records.models import Comment, Ticket
from records.selectors.tickets import sla_view
from tests.factories import UserFactory
from tests.live_helpers import capture_events
from tests.records.queries import count_queries

HTMX = {"HTTP_HX_REQUEST": "true"}
# Session, user, ticket, permission checks, comment thread, history, SLA: 14 today.
PAGE_QUERY_BUDGET = 16


def detail_url(ticket) -> str:
    return reverse("records:ticket_detail", args=[ticket.pk])


def status_url(ticket) -> str:
    return reverse("records:ticket_status", args=[ticket.pk])


def rate_url(ticket) -> str:
    return reverse("records:ticket_rate", args=[ticket.pk])


def refresh(ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def opened_ago(actor, client, hours: float, **fields) -> Ticket:
    """A ticket opened ``hours`` ago through the service (its SLA counts from then)."""
    moment = timezone.now() - timedelta(hours=hours)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        return services.create_ticket(actor=actor, client=client, subject="Slow sync", **fields)


@pytest.fixture
def other_support(support):
    return UserFactory(departments=[support])


# --- The page --------------------------------------------------------------------------


def test_page_shows_header_sla_properties_and_status_buttons(
    client, support_member, ticket, contact
):
    client.force_login(support_member)
    response = client.get(detail_url(ticket))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<!DOCTYPE html>" in html
    assert f'id="ticket-status-{ticket.pk}"' in html
    assert f'id="ticket-sla-{ticket.pk}"' in html
    assert f'id="field-ticket-{ticket.pk}-priority"' in html
    assert f'data-live-presence="ticket.{ticket.pk}"' in html
    assert f'id="comments-ticket-{ticket.pk}"' in html
    assert 'name="status" value="open"' in html
    assert 'name="status" value="solved"' in html
    assert "Assign to me" in html
    assert "Reopen" not in html


def test_htmx_request_gets_the_page_without_the_shell(client, support_member, ticket):
    client.force_login(support_member)
    response = client.get(detail_url(ticket), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<!DOCTYPE html>" not in html
    assert f'id="ticket-head-{ticket.pk}"' in html


def test_staff_outside_support_see_the_status_read_only(client, member, ticket):
    client.force_login(member)
    html = client.get(detail_url(ticket)).content.decode()
    assert "Support, the assignee and admins change it" in html
    assert status_url(ticket) not in html
    assert "Assign to me" not in html


def test_missing_ticket_is_404(client, member, defaults):
    client.force_login(member)
    assert client.get(reverse("records:ticket_detail", args=[999_999])).status_code == 404


def test_page_runs_the_same_queries_with_2_or_50_comments_and_changes(
    client, support_member, member, acme
):
    few = services.create_ticket(actor=support_member, client=acme, subject="Few")
    many = services.create_ticket(actor=support_member, client=acme, subject="Many")
    for n in range(2):
        services.post_comment(actor=member, target=few, body=f"Comment {n}")
    services.set_ticket_status(actor=support_member, ticket=few, status="open")
    for n in range(50):
        services.post_comment(actor=member if n % 2 else support_member, target=many, body=f"#{n}")
    for status in ["open", "pending", "open", "pending", "solved", "open"] * 4:
        services.set_ticket_status(actor=support_member, ticket=many, status=status)
    for priority in ["high", "low", "urgent", "normal"] * 3:
        services.update_field(
            actor=support_member,
            obj=many,
            field="priority",
            value=priority,
            seen_value=refresh(many).priority,
        )
    client.force_login(support_member)
    queries = count_queries(client, detail_url(few))
    assert queries <= PAGE_QUERY_BUDGET
    assert count_queries(client, detail_url(many)) == queries


# --- Status -----------------------------------------------------------------------------


def test_support_opens_a_ticket_through_the_view(client, support_member, ticket):
    client.force_login(support_member)
    with capture_events() as events:
        response = client.post(status_url(ticket), {"status": "open"}, **HTMX)
    assert response.status_code == 200
    assert response["X-Live-Event"]
    assert f'id="ticket-status-{ticket.pk}"' in response.content.decode()
    saved = refresh(ticket)
    assert saved.status == "open"
    assert saved.first_response_at is not None
    assert {event.kind for event in events} == {"ticket.status"}


def test_a_repeated_click_changes_and_replays_nothing(client, support_member, ticket):
    client.force_login(support_member)
    client.post(status_url(ticket), {"status": "open"}, **HTMX)
    with capture_events(0):
        again = client.post(status_url(ticket), {"status": "open"}, **HTMX)
    assert again.status_code == 200
    assert "X-Live-Event" not in again
    assert again.content == b""


def test_plain_form_post_goes_back_to_the_page(client, support_member, ticket):
    client.force_login(support_member)
    response = client.post(status_url(ticket), {"status": "solved"})
    assert response.status_code == 302
    assert response["Location"] == detail_url(ticket)
    assert refresh(ticket).resolved_at is not None


def test_the_assignee_may_change_the_status(client, member, support_member, acme):
    ticket = services.create_ticket(
        actor=support_member, client=acme, subject="Assigned", assignee=member
    )
    client.force_login(member)
    assert client.post(status_url(ticket), {"status": "pending"}, **HTMX).status_code == 200
    assert refresh(ticket).status == "pending"


@pytest.mark.parametrize("headers", [HTMX, {}])
def test_others_are_refused_with_a_reason(client, member, ticket, headers):
    client.force_login(member)
    with capture_events(0):
        response = client.post(status_url(ticket), {"status": "solved"}, **headers)
    assert response.status_code == 403
    assert "support, the ticket's assignee and admins" in unescape(response.content.decode())
    assert refresh(ticket).status == "new"


def test_unknown_status_is_refused_readably(client, support_member, ticket):
    client.force_login(support_member)
    response = client.post(status_url(ticket), {"status": "frozen"}, **HTMX)
    assert response.status_code == 422
    assert "“frozen” is not a ticket status" in response.content.decode()
    assert refresh(ticket).status == "new"


def test_refusal_comes_before_validation(client, member, ticket):
    """Someone who may not change the ticket learns that, not which statuses exist."""
    client.force_login(member)
    assert client.post(status_url(ticket), {"status": "frozen"}, **HTMX).status_code == 403


def test_status_needs_a_post(client, support_member, ticket):
    client.force_login(support_member)
    assert client.get(status_url(ticket)).status_code == 405


def test_buttons_follow_the_status(client, support_member, ticket):
    services.set_ticket_status(actor=support_member, ticket=ticket, status="solved")
    client.force_login(support_member)
    url = reverse("records:ticket_controls", args=[ticket.pk, "ticket-actions"])
    html = client.get(url, **HTMX).content.decode()
    assert 'name="status" value="closed"' in html
    assert "Reopen" in html
    assert 'value="solved"' not in html


def test_controls_are_drawn_per_viewer(client, member, ticket):
    client.force_login(member)
    url = reverse("records:ticket_controls", args=[ticket.pk, "ticket-actions"])
    assert "Support, the assignee and admins" in client.get(url, **HTMX).content.decode()
    bad = reverse("records:ticket_controls", args=[ticket.pk, "ticket-head"])
    assert client.get(bad, **HTMX).status_code == 404


def test_controls_outside_htmx_lead_to_the_page(client, member, ticket):
    client.force_login(member)
    url = reverse("records:ticket_controls", args=[ticket.pk, "ticket-actions"])
    assert client.get(url)["Location"] == detail_url(ticket)


def test_assign_to_me(client, other_support, ticket):
    client.force_login(other_support)
    response = client.post(reverse("records:ticket_assign_me", args=[ticket.pk]), **HTMX)
    assert response.status_code == 200
    assert refresh(ticket).assignee == other_support


# --- Rating -----------------------------------------------------------------------------


def test_rating_a_solved_ticket(client, support_member, ticket):
    services.set_ticket_status(actor=support_member, ticket=ticket, status="solved")
    client.force_login(support_member)
    assert 'name="satisfaction" value="4"' in client.get(detail_url(ticket)).content.decode()
    response = client.post(rate_url(ticket), {"satisfaction": "4"}, **HTMX)
    assert response.status_code == 200
    assert refresh(ticket).satisfaction == 4
    assert "4/5" in client.get(detail_url(ticket)).content.decode()


@pytest.mark.parametrize(
    ("status", "value", "message"),
    [
        ("solved", "9", "A rating is a whole number from 1 to 5."),
        ("solved", "great", "A rating is a whole number from 1 to 5."),
        ("open", "5", "A ticket is rated once it is solved."),
    ],
)
def test_bad_ratings_are_refused_readably(client, support_member, ticket, status, value, message):
    services.set_ticket_status(actor=support_member, ticket=ticket, status=status)
    client.force_login(support_member)
    response = client.post(rate_url(ticket), {"satisfaction": value}, **HTMX)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert refresh(ticket).satisfaction is None


def test_others_cannot_rate(client, member, support_member, ticket):
    services.set_ticket_status(actor=support_member, ticket=ticket, status="solved")
    client.force_login(member)
    assert 'name="satisfaction"' not in client.get(detail_url(ticket)).content.decode()
    assert client.post(rate_url(ticket), {"satisfaction": "5"}, **HTMX).status_code == 403
    assert refresh(ticket).satisfaction is None


def test_rating_form_only_for_resolved_tickets(client, support_member, ticket):
    client.force_login(support_member)
    html = client.get(detail_url(ticket)).content.decode()
    assert 'name="satisfaction"' not in html
    assert "recorded once the ticket is solved" in html


# --- SLA panel ----------------------------------------------------------------------------


def test_breached_sla(client, support_member, acme):
    ticket = opened_ago(support_member, acme, hours=30)
    Ticket.objects.filter(pk=ticket.pk).update(
        sla_due=timezone.now() - timedelta(hours=2, minutes=5)
    )
    assert sla_view(refresh(ticket)).summary == "breached 2 h ago"
    client.force_login(support_member)
    html = client.get(detail_url(ticket)).content.decode()
    assert "sla sla-breached" in html
    assert "Breached" in html
    assert "2 h ago" in html


def test_sla_due_soon(client, support_member, acme):
    ticket = opened_ago(support_member, acme, hours=21)  # normal priority: 24 h
    view = sla_view(refresh(ticket))
    assert (view.state, view.summary) == ("due_soon", "due in 2 h")
    client.force_login(support_member)
    html = client.get(detail_url(ticket)).content.decode()
    assert "sla sla-due_soon" in html
    assert "Due soon" in html


def test_sla_on_track_for_a_new_ticket(support_member, acme):
    ticket = services.create_ticket(
        actor=support_member, client=acme, subject="Fresh", priority="high"
    )
    view = sla_view(ticket)
    assert view.state == "on_track"
    assert view.summary == "due in 7 h"
    assert view.first_response == ""


def solved_after(actor, client, hours: float) -> Ticket:
    """A ticket opened ``hours`` ago and solved now, as read back from the database."""
    ticket = opened_ago(actor, client, hours=hours)
    services.set_ticket_status(actor=actor, ticket=ticket, status="solved")
    return refresh(ticket)


def test_sla_met_when_solved_in_time(client, support_member, acme):
    ticket = solved_after(support_member, acme, hours=10)
    view = sla_view(ticket)
    assert view.state == "met"
    assert view.when == "with 13 h to spare"
    assert view.first_response == "after 10 h, within the SLA"
    client.force_login(support_member)
    html = client.get(detail_url(ticket)).content.decode()
    assert "sla sla-met" in html
    assert "with 13 h to spare" in html


def test_sla_missed_when_solved_late(support_member, acme):
    view = sla_view(solved_after(support_member, acme, hours=30))
    assert view.state == "missed"
    assert view.when == "6 h late"
    assert view.resolution == "after 30 h, 6 h past the due time"


# --- Live fragments ----------------------------------------------------------------------


def test_status_event_carries_the_new_badge_sla_and_controls(support_member, ticket):
    with capture_events() as events:
        services.set_ticket_status(actor=support_member, ticket=ticket, status="pending")
    html = events[0].html
    assert f'id="ticket-status-{ticket.pk}"' in html
    assert "Pending" in html
    assert f'id="ticket-sla-{ticket.pk}" hx-swap-oob="true"' in html
    assert f'hx-swap-oob="afterbegin:#ticket-history-{ticket.pk}"' in html
    assert reverse("records:ticket_controls", args=[ticket.pk, "ticket-actions"]) in html
    assert "csrfmiddlewaretoken" not in html  # no viewer's buttons in a shared fragment


def test_rated_event_carries_the_rating(support_member, ticket):
    services.set_ticket_status(actor=support_member, ticket=ticket, status="solved")
    with capture_events() as events:
        services.rate_ticket(actor=support_member, ticket=ticket, satisfaction=5)
    html = events[0].html
    assert f'id="ticket-rating-{ticket.pk}"' in html
    assert "5/5" in html


def test_priority_change_redraws_badge_and_sla(support_member, ticket):
    with capture_events() as events:
        services.update_field(
            actor=support_member, obj=ticket, field="priority", value="urgent", seen_value="normal"
        )
    html = events[0].html
    assert "pill pill-priority-urgent" in html
    assert f'id="ticket-sla-{ticket.pk}"' in html
    assert "/controls/" not in html  # nobody's buttons change with the priority


def test_assignee_change_refreshes_everyone_s_controls(support_member, member, ticket):
    with capture_events() as events:
        services.update_field(
            actor=support_member, obj=ticket, field="assignee", value=member.pk, seen_value=""
        )
    html = events[0].html
    assert member.full_name in html
    for part in ("ticket-actions", "ticket-rate"):
        assert reverse("records:ticket_controls", args=[ticket.pk, part]) in html


# --- Opening a ticket ---------------------------------------------------------------------


def new_ticket_data(client_obj, **overrides) -> dict:
    data = {
        "subject": "Invoices are missing",
        "client": client_obj.pk,
        "contact": "",
        "priority": "high",
        "channel": "phone",
        "assignee": "",
        "message": "The March invoices do not show up for @nobody.",
    }
    return {**data, **overrides}


def test_anyone_opens_a_ticket_with_its_first_message(
    client, member, support_member, acme, contact
):
    client.force_login(member)
    data = new_ticket_data(acme, contact=contact.pk, assignee=support_member.pk)
    with capture_events() as events:
        response = client.post(reverse("records:ticket_new"), data)
    ticket = Ticket.objects.get(subject="Invoices are missing")
    assert response.status_code == 302
    assert response["Location"] == detail_url(ticket)
    assert (ticket.client, ticket.contact, ticket.assignee) == (acme, contact, support_member)
    assert (ticket.priority, ticket.channel, ticket.created_by) == ("high", "phone", member)
    assert ticket.sla_due - ticket.created_at == timedelta(hours=8)
    comment = Comment.objects.get(ticket=ticket)
    assert comment.author == member
    assert "March invoices" in comment.body
    assert {"ticket.created", "comment.posted"} <= {event.kind for event in events}


def test_form_preselects_the_client_and_lists_its_contacts(client, member, acme, contact):
    client.force_login(member)
    html = client.get(reverse("records:ticket_new"), {"client": acme.pk}).content.decode()
    assert "New ticket for Acme GmbH" in html
    assert f'type="hidden" name="client" value="{acme.pk}"' in html
    assert f'<option value="{contact.pk}">Jo Acme</option>' in html


def test_contact_select_follows_the_client(client, member, acme, contact):
    client.force_login(member)
    response = client.get(reverse("records:ticket_contacts"), {"client": acme.pk}, **HTMX)
    assert f'<option value="{contact.pk}">Jo Acme</option>' in response.content.decode()


def test_client_search_offers_matching_clients(client, member, acme):
    services.create_client(actor=member, name="Globex")
    client.force_login(member)
    url = reverse("records:ticket_client_options")
    html = client.get(url, {"q": "acm"}, **HTMX).content.decode()
    assert f'<option value="{acme.pk}">Acme GmbH</option>' in html
    assert "Globex" not in html
    assert "No client matches" in client.get(url, {"q": "zzz"}, **HTMX).content.decode()


def test_contacts_of_an_unknown_client_are_404(client, member, defaults):
    client.force_login(member)
    url = reverse("records:ticket_contacts")
    assert client.get(url, {"client": 999_999}, **HTMX).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"priority": "whenever"}, "Pick one of the listed priorities."),
        ({"subject": ""}, "Give the ticket a subject."),
        ({"message": "   "}, "Write the first message"),
        ({"client": ""}, "Pick the client the ticket is for."),
    ],
)
def test_bad_input_saves_nothing(client, member, acme, overrides, message):
    client.force_login(member)
    with capture_events(0):
        response = client.post(reverse("records:ticket_new"), new_ticket_data(acme, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Ticket.objects.exists()


def test_contact_of_another_client_is_refused(client, member, acme):
    other = services.create_client(actor=member, name="Globex")
    stranger = services.create_contact(actor=member, client=other, name="Hank Globex")
    client.force_login(member)
    data = new_ticket_data(acme, contact=stranger.pk)
    response = client.post(reverse("records:ticket_new"), data)
    assert "Pick one of this client's contacts." in unescape(response.content.decode())
    assert not Ticket.objects.exists()


def test_a_failing_first_message_leaves_no_ticket(client, member, acme):
    client.force_login(member)
    refusal = ValidationError({"body": "Comments are switched off."})
    with (
        mock.patch("records.services.post_comment", side_effect=refusal),
        capture_events(0),
    ):
        response = client.post(reverse("records:ticket_new"), new_ticket_data(acme))
    assert response.status_code == 200
    assert "Comments are switched off." in response.content.decode()
    assert not Ticket.objects.exists()
