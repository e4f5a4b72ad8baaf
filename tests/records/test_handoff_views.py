"""Handoff pages: the hand-off form, the inbox per viewer, answers through the views, the
handoff page, live fragments, query budgets.

Cast (as in test_handoffs.py): ``acme`` (Sales, owned by ``member``) is handed
by ``support_member`` to Sales, whose manager is ``sales_manager``;
``outsider`` is in Marketing.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from records import services
from records.models import Handoff, Task
from tests.factories import DepartmentFactory, UserFactory
from tests.live_helpers import capture_events

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def outsider(db):
    return UserFactory(departments=[DepartmentFactory(name="Marketing", slug="marketing")])


@pytest.fixture
def colleague(sales):
    return UserFactory(departments=[sales], full_name="Zoe Sales")


def hand(actor, client, to, **fields) -> Handoff:
    note = fields.pop("note", "Needs a **renewal** quote; promised a call by Friday.")
    return services.hand_off(actor=actor, client=client, to_department=to, note=note, **fields)


@pytest.fixture
def handoff(support_member, acme, sales):
    return hand(support_member, acme, sales)


def new_url(client) -> str:
    return reverse("records:handoff_new", args=[client.pk])


def inbox(tab: str = "incoming") -> str:
    return f"{reverse('records:handoff_inbox')}?tab={tab}"


def act(name: str, handoff: Handoff) -> str:
    return reverse(f"records:handoff_{name}", args=[handoff.pk])


# --- The hand-off form -------------------------------------------------------------------


def test_the_form_opens_as_a_modal_for_htmx_and_as_a_page_otherwise(
    client, support_member, acme, ticket
):
    client.force_login(support_member)

    modal = client.get(f"{new_url(acme)}?ticket={ticket.pk}", **HTMX).content.decode()
    page = client.get(new_url(acme)).content.decode()

    assert 'id="handoff-modal"' in modal and "<html" not in modal
    assert "What the client needs, what was promised" in modal
    assert f'<option value="{ticket.pk}" selected>' in modal
    assert "<html" in page and 'id="handoff-modal"' not in page


def test_the_client_and_ticket_pages_have_a_hand_off_button(client, support_member, acme, ticket):
    client.force_login(support_member)

    client_page = client.get(reverse("records:client_detail", args=[acme.pk])).content.decode()
    ticket_page = client.get(reverse("records:ticket_detail", args=[ticket.pk])).content.decode()

    assert f'hx-get="{new_url(acme)}"' in client_page
    assert f'hx-get="{new_url(acme)}?ticket={ticket.pk}"' in ticket_page


def test_handing_off_saves_and_goes_to_the_handoff(
    client, support_member, acme, sales, member, ticket
):
    client.force_login(support_member)
    data = {"to_department": sales.pk, "to_user": member.pk, "note": "Wants 5 more seats."}

    response = client.post(new_url(acme), {**data, "ticket": ticket.pk}, **HTMX)

    handoff = Handoff.objects.get()
    assert response["HX-Redirect"] == reverse("records:handoff_detail", args=[handoff.pk])
    assert (handoff.to_user, handoff.ticket, handoff.note) == (member, ticket, data["note"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"note": " "}, "Add a note"),
        ({"to_department": ""}, "Choose the department"),
        ({"to_user": "outsider"}, "is not in Sales"),
    ],
)
def test_a_refused_hand_off_shows_why_and_saves_nothing(
    client, support_member, acme, sales, outsider, change, message
):
    client.force_login(support_member)
    data = {"to_department": sales.pk, "note": "Wants a quote."}
    data |= {key: outsider.pk if value == "outsider" else value for key, value in change.items()}

    response = client.post(new_url(acme), data, **HTMX)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Handoff.objects.exists()


def test_a_second_open_hand_off_to_the_same_department_is_refused(
    client, support_member, acme, sales, handoff
):
    client.force_login(support_member)

    response = client.post(new_url(acme), {"to_department": sales.pk, "note": "Again"}, **HTMX)

    assert "already handed to Sales" in response.content.decode()
    assert Handoff.objects.count() == 1


def test_the_person_picker_follows_the_department(client, support_member, acme, sales, member):
    client.force_login(support_member)

    options = client.get(
        reverse("records:handoff_people", args=[acme.pk]), {"to_department": sales.pk}, **HTMX
    ).content.decode()

    assert f'value="{member.pk}"' in options
    assert f'value="{support_member.pk}"' not in options


# --- The inbox ---------------------------------------------------------------------------


def test_the_receiving_department_sees_it_incoming_with_buttons(client, member, handoff):
    client.force_login(member)

    html = client.get(inbox()).content.decode()

    assert f'id="handoff-in-{handoff.pk}"' in html
    assert "<strong>renewal</strong>" in html  # the note's sanitized markdown
    assert act("accept", handoff) in html and act("decline", handoff) in html
    assert f"handoffs.{handoff.to_department_id}" in html  # live topic


def test_a_manager_may_accept_for_someone_in_the_department(
    client, sales_manager, colleague, handoff
):
    client.force_login(sales_manager)

    html = client.get(inbox()).content.decode()

    assert f'<option value="{colleague.pk}">For {colleague}</option>' in html


def test_an_outsider_sees_nothing_incoming_and_no_buttons(client, outsider, handoff):
    client.force_login(outsider)

    incoming = client.get(inbox()).content.decode()
    page = client.get(reverse("records:handoff_detail", args=[handoff.pk])).content.decode()

    assert f"handoff-in-{handoff.pk}" not in incoming
    assert act("accept", handoff) not in page


def test_the_sender_sees_it_outgoing_with_withdraw(client, support_member, handoff):
    client.force_login(support_member)

    html = client.get(inbox("outgoing")).content.decode()

    assert f'id="handoff-{handoff.pk}"' in html
    assert act("withdraw", handoff) in html and act("accept", handoff) not in html


def test_escalated_handoffs_come_first(client, member, support_member, acme, sales, handoff):
    other = services.create_client(actor=member, name="Beta AG", domain="beta.example")
    later = hand(support_member, other, sales)
    Handoff.objects.filter(pk=later.pk).update(status="escalated")
    client.force_login(member)

    html = client.get(inbox()).content.decode()

    assert html.index(f"handoff-in-{later.pk}") < html.index(f"handoff-in-{handoff.pk}")
    assert "Escalated" in html


def test_the_inbox_runs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, member, support_member, sales, defaults
):
    client.force_login(member)

    def queries_for(count: int) -> int:
        for n in range(count):
            acme = services.create_client(actor=member, name=f"C{count}-{n}")
            hand(
                support_member,
                acme,
                sales,
                ticket=services.create_ticket(actor=support_member, client=acme, subject="Help"),
            )
        with CaptureQueriesContext(connection) as captured:
            assert client.get(inbox()).status_code == 200
        return len(captured)

    few = queries_for(1)
    many = queries_for(8)
    assert few == many
    with django_assert_max_num_queries(few):
        client.get(inbox())


# --- Answers -----------------------------------------------------------------------------


def test_accepting_creates_one_task_and_a_second_accept_says_who(
    client, member, sales_manager, handoff
):
    client.force_login(member)
    first = client.post(act("accept", handoff), **HTMX)
    client.force_login(sales_manager)

    second = client.post(act("accept", handoff), **HTMX)

    handoff.refresh_from_db()
    assert first.has_header("X-Live-Event")
    assert handoff.status == "accepted" and handoff.answered_by == member
    assert f"already accepted by {member}" in second.content.decode()
    assert Task.objects.count() == 1


def test_a_manager_accepts_for_a_colleague_and_makes_them_owner(
    client, sales_manager, colleague, handoff
):
    client.force_login(sales_manager)

    client.post(act("accept", handoff), {"assignee": colleague.pk, "take_ownership": "1"})

    handoff.refresh_from_db()
    handoff.client.refresh_from_db()
    assert handoff.task.assignee == colleague
    assert handoff.client.owner == colleague


def test_declining_needs_a_reason(client, member, handoff):
    client.force_login(member)

    refused = client.post(act("decline", handoff), {"reason": " "}, **HTMX)
    handoff.refresh_from_db()
    assert "Say why you decline" in refused.content.decode()
    assert handoff.status == "pending"

    client.post(act("decline", handoff), {"reason": "Billing is Finance."}, **HTMX)
    handoff.refresh_from_db()
    assert (handoff.status, handoff.decline_reason) == ("declined", "Billing is Finance.")


def test_only_the_sender_withdraws(client, member, support_member, handoff):
    client.force_login(member)
    refused = client.post(act("withdraw", handoff))
    handoff.refresh_from_db()
    assert refused.status_code == 403 and handoff.status == "pending"

    client.force_login(support_member)
    client.post(act("withdraw", handoff))
    handoff.refresh_from_db()
    assert handoff.status == "withdrawn"


def test_outsiders_cannot_answer(client, outsider, handoff):
    client.force_login(outsider)

    plain = client.post(act("accept", handoff))
    htmx = client.post(act("decline", handoff), {"reason": "no"}, **HTMX)

    handoff.refresh_from_db()
    assert plain.status_code == 403
    assert "you cannot answer it" in htmx.content.decode()
    assert handoff.status == "pending"


def test_answers_are_post_only(client, member, handoff):
    client.force_login(member)

    assert client.get(act("accept", handoff)).status_code == 405


def test_a_missing_handoff_is_a_404(client, member):
    client.force_login(member)

    assert client.get(reverse("records:handoff_detail", args=[999])).status_code == 404


# --- The handoff page and the timeline ------------------------------------------------------


def test_the_handoff_page_shows_the_path_and_links(client, member, handoff):
    client.force_login(member)
    client.post(act("accept", handoff))
    handoff.refresh_from_db()

    html = client.get(reverse("records:handoff_detail", args=[handoff.pk])).content.decode()

    assert "handed Acme GmbH to Sales" in html
    assert "accepted the handoff" in html
    assert reverse("records:task_detail", args=[handoff.task_id]) in html
    assert reverse("records:client_detail", args=[handoff.client_id]) in html


def test_the_handoff_page_runs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, member, handoff
):
    client.force_login(member)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("records:handoff_detail", args=[handoff.pk])).status_code == 200


# --- Live fragments ----------------------------------------------------------------------


def test_a_new_handoff_event_inserts_cards_by_id(support_member, acme, sales):
    with capture_events() as events:
        handoff = hand(support_member, acme, sales)

    html = next(e for e in events if e.topic == f"handoffs.{sales.pk}").html
    assert f"beforeend:#handoff-incoming-slot-{sales.pk}" in html
    assert f'id="handoff-in-{handoff.pk}"' in html
    assert f"afterbegin:#handoff-outgoing-slot-{support_member.pk}" in html
    assert reverse("records:handoff_actions", args=[handoff.pk]) in html  # per-viewer buttons


def test_an_answer_event_removes_the_incoming_card_and_replaces_the_others(member, handoff):
    with capture_events() as events:
        services.decline_handoff(actor=member, handoff=handoff, reason="Not ours")

    html = next(e for e in events if e.topic == f"handoffs.{handoff.to_department_id}").html
    assert f'<div id="handoff-in-{handoff.pk}" hx-swap-oob="delete">' in html
    assert f'id="handoff-{handoff.pk}" hx-swap-oob="true"' in html
    assert f'id="handoff-page-{handoff.pk}" hx-swap-oob="true"' in html
    assert "Not ours" in html
    assert 'action="' not in html  # no viewer's buttons in a shared fragment


def test_the_actions_are_fetched_per_viewer(client, member, outsider, handoff):
    url = reverse("records:handoff_actions", args=[handoff.pk])
    client.force_login(member)
    mine = client.get(url, **HTMX).content.decode()
    client.force_login(outsider)
    theirs = client.get(url, **HTMX).content.decode()

    assert act("accept", handoff) in mine
    assert act("accept", handoff) not in theirs


# --- The Incoming tab's count, live ------------------------------------------------------


def test_every_handoff_event_asks_each_tab_for_its_own_count(support_member, acme, sales):
    with capture_events() as events:
        handoff = hand(support_member, acme, sales)
    count_url = reverse("records:handoff_count")
    created = next(e for e in events if e.kind == "handoff.created").html
    assert 'hx-swap-oob="beforeend:#handoff-incoming-count"' in created
    assert f'hx-get="{count_url}" hx-trigger="load"' in created
    with capture_events() as events:
        services.withdraw_handoff(actor=support_member, handoff=handoff)
    assert f'hx-get="{count_url}"' in next(e for e in events if e.kind == "handoff.withdrawn").html


def test_the_count_is_the_viewers_own(client, member, outsider, handoff):
    count_url = reverse("records:handoff_count")
    client.force_login(member)
    mine = client.get(count_url, **HTMX).content.decode()
    assert 'id="handoff-incoming-count"' in mine and ">1</span>" in mine
    client.force_login(outsider)
    theirs = client.get(count_url, **HTMX).content.decode()
    assert 'id="handoff-incoming-count"' in theirs and "handoff-count" not in theirs
