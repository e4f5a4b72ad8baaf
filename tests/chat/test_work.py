"""From chat to work: a task made from a message, and a message logged to the client's timeline."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from chat import events, services
from chat.models import MESSAGE_MAX_LENGTH, Message
from records.models import TASK_DESCRIPTION_MAX_LENGTH, Task, TimelineEntry
from tests.chat.factories import post
from tests.live_helpers import capture_events

pytestmark = pytest.mark.django_db


HTMX = {"HTTP_HX_REQUEST": "true"}
QUICK = reverse("records:task_quick")
NEW = reverse("records:task_new")


def task_url(message) -> str:
    return reverse("chat:message_task", args=[message.pk])


def highlight_url(message) -> str:
    return reverse("chat:message_highlight", args=[message.pk])


def as_user(client, person):
    client.force_login(person)
    return client


# --- Message → task -------------------------------------------------------------------


def test_the_task_form_is_prefilled_from_a_client_room_message(client, ana, ben, acme_room):
    message = post(ben, acme_room, "Send Acme the **new** price list\nThey asked twice.")
    as_user(client, ana)

    response = client.get(task_url(message), follow=True, **HTMX)

    query = urlencode({"client": acme_room.client_id, "message": message.pk})
    assert response.redirect_chain == [(f"{QUICK}?{query}", 302)]
    form = response.context["form"]
    assert form.initial["title"] == "Send Acme the new price list"  # as shown, no Markdown
    description = form.initial["description"]
    assert description.startswith(message.body)
    assert f"[open the message]({events.message_link(message)})" in description
    assert "Ben Ode in chat" in description
    modal = response.text
    assert "data-task-modal" in modal and "Acme GmbH" in modal  # linked to the client
    assert 'name="description"' in modal and "a message by Ben Ode" in modal
    assert f'hx-post="{QUICK}?{query.replace("&", "&amp;")}"' in modal


def test_without_htmx_it_is_the_full_form(client, ana, acme_room):
    message = post(ana, acme_room, "Follow up")
    response = as_user(client, ana).get(task_url(message))
    query = urlencode({"client": acme_room.client_id, "message": message.pk})
    assert response.status_code == 302 and response["Location"] == f"{NEW}?{query}"
    page = client.get(response["Location"])
    assert page.context["form"].initial["title"] == "Follow up"


def test_submitting_creates_a_task_linked_to_the_client_with_a_link_back(
    client, ana, ben, acme_room
):
    message = post(ben, acme_room, "Call them about the renewal")
    as_user(client, ana)
    action = f"{QUICK}?{urlencode({'client': acme_room.client_id, 'message': message.pk})}"
    description = client.get(action, **HTMX).context["form"].initial["description"]

    response = client.post(
        action,
        {"title": "Call about renewal", "assignee": ana.pk, "description": description},
        **HTMX,
    )

    assert "Task created" in response.text
    task = Task.objects.get()
    assert (task.title, task.client, task.assignee) == ("Call about renewal", acme_room.client, ana)
    assert task.description.startswith("Call them about the renewal")
    assert f'href="{events.message_link(message)}"' in task.description_html


def test_a_long_first_line_is_cut_for_the_title(client, ana, acme_room):
    message = post(ana, acme_room, "## " + "word " * 60 + "\n\nmore")
    form = as_user(client, ana).get(task_url(message), follow=True, **HTMX).context["form"]
    title = form.initial["title"]
    assert len(title) == 120 and title.endswith("…") and title.startswith("word word")


def test_the_longest_message_still_fits_with_its_link(client, ana, acme_room):
    message = post(ana, acme_room, "x" * MESSAGE_MAX_LENGTH)
    form = as_user(client, ana).get(task_url(message), follow=True, **HTMX).context["form"]
    description = form.initial["description"]
    assert len(description) == TASK_DESCRIPTION_MAX_LENGTH
    assert description.endswith(f"[open the message]({events.message_link(message)})")


def test_a_message_outside_a_client_room_makes_an_unlinked_task(client, ana, ben, dm):
    message = post(ben, dm, "Can you review my slides?")
    response = as_user(client, ana).get(task_url(message), follow=True, **HTMX)
    assert response.redirect_chain == [(f"{QUICK}?message={message.pk}", 302)]
    assert response.context["link"] is None
    assert response.context["form"].initial["title"] == "Can you review my slides?"


def test_someone_elses_direct_message_is_not_found_on_either_path(client, ana, ben, cy, ada, dm):
    message = post(ana, dm, "Private matter")
    for outsider in (cy, ada):
        as_user(client, outsider)
        assert client.get(task_url(message), **HTMX).status_code == 404
        assert client.get(f"{QUICK}?message={message.pk}", **HTMX).status_code == 404
        assert client.get(f"{NEW}?message={message.pk}").status_code == 404
        response = client.post(
            f"{NEW}?message={message.pk}", {"title": "Steal", "assignee": outsider.pk}
        )
        assert response.status_code == 404
    assert not Task.objects.exists()


@pytest.mark.parametrize("pk", [999_999, "abc"])
def test_unknown_and_deleted_messages_are_not_found(client, ana, acme_room, pk):
    message = post(ana, acme_room, "Oops")
    services.delete_message(actor=ana, message=message)
    as_user(client, ana)
    assert client.get(task_url(message), **HTMX).status_code == 404
    assert client.get(f"{QUICK}?message={message.pk}", **HTMX).status_code == 404
    assert client.get(f"{QUICK}?message={pk}", **HTMX).status_code == 404


def test_the_plain_quick_form_keeps_no_description(client, ana):
    modal = as_user(client, ana).get(QUICK, **HTMX).text
    assert 'name="description"' not in modal


# --- Log to the client's timeline ---------------------------------------------------------


def test_highlighting_logs_the_message_and_answers_with_the_live_event(client, ana, ben, acme_room):
    message = post(ben, acme_room, "Client confirmed the **budget**")
    as_user(client, ana)

    with capture_events() as published:
        response = client.post(highlight_url(message), **HTMX)

    assert response.status_code == 200
    entry = TimelineEntry.objects.get(kind="chat")
    assert entry.client_id == acme_room.client_id and entry.actor == ana
    assert "<strong>budget</strong>" in entry.body_html
    assert [(e.topic, e.kind) for e in published] == [
        (f"client.{acme_room.client_id}", "chat.highlighted"),
        (f"room.{acme_room.pk}", "chat.message.highlighted"),
    ]
    room_event = published[1]
    assert response["X-Live-Event"] == str(room_event.id)
    assert f'id="msg-{message.pk}"' in response.text
    assert Message.objects.get(pk=message.pk).highlighted_at is not None


def test_a_second_highlight_is_refused_with_a_reason(client, ana, ben, acme_room):
    message = post(ben, acme_room, "Decision: go")
    as_user(client, ana).post(highlight_url(message), **HTMX)
    for person in (ana, ben):  # another click, another person
        as_user(client, person)
        with capture_events(0):
            response = client.post(highlight_url(message), **HTMX)
        assert response.status_code == 422
        assert "already in the client's timeline" in response.text
    assert TimelineEntry.objects.filter(kind="chat").count() == 1


def test_only_client_room_messages_can_be_logged(client, ana, public_room, dm):
    as_user(client, ana)
    for room in (public_room, dm):
        message = post(ana, room, "Not about a client")
        with capture_events(0):
            response = client.post(highlight_url(message), **HTMX)
        assert response.status_code == 403
        assert "client-room messages" in response.text
    assert not TimelineEntry.objects.filter(kind="chat").exists()


def test_highlight_refusals_and_privacy(client, ana, cy, dm, acme_room):
    secret = post(ana, dm, "Private")
    as_user(client, cy)
    assert client.post(highlight_url(secret), **HTMX).status_code == 404
    assert client.post(reverse("chat:message_highlight", args=[999_999]), **HTMX).status_code == 404
    message = post(ana, acme_room, "Logged from a plain form")
    assert client.get(highlight_url(message)).status_code == 405
    plain = client.post(highlight_url(message))  # no htmx: back to the message
    assert plain.status_code == 302 and plain["Location"] == events.message_link(message)
    assert TimelineEntry.objects.filter(kind="chat", actor=cy).exists()
