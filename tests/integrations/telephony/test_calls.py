"""What a call does for people: the caller's card pops live in the agent's tabs, the
finished call lands on the client's timeline, a missed one notifies and makes a task."""

import json

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Notification
from integrations.telephony import incoming, selectors, services
from integrations.telephony.models import Call
from records import services as records
from records.models import Task, TimelineEntry
from tests.factories import DepartmentFactory, UserFactory
from tests.integrations.telephony.conftest import event
from tests.live_helpers import Socket, capture_events
from workspace import live
from workspace.live import listeners

pytestmark = [pytest.mark.django_db]


def handle(kind: str, **fields):
    body = json.dumps(event(kind, **fields)).encode()
    return services.handle_event(event=incoming.parse(body))


def test_ringing_pops_the_callers_card_on_the_agents_topic(agent, jo, deal, ticket):
    records.post_comment(actor=agent, target=jo.client, body="Asked for a quote")
    with capture_events(1) as events:
        call = handle("ringing").call
    pop = events[0]
    assert (pop.topic, pop.kind) == (f"user.{agent.pk}", "call.ringing")
    assert pop.payload == {
        "id": call.pk,
        "client": jo.client_id,
        "contact": jo.pk,
        "agent": agent.pk,
        "number": "+49301234567",
    }
    html = pop.html
    assert 'hx-swap-oob="afterbegin:#call-pop"' in html and f'id="call-{call.pk}"' in html
    for shown in ("Acme GmbH", "Jo Acme", "Buyer", "+49 30 1234567", "Lead", str(agent)):
        assert shown in html
    latest = TimelineEntry.objects.filter(client=jo.client).latest("created_at", "pk")
    assert latest.summary in html  # the latest timeline entries
    assert reverse("records:client_detail", args=[jo.client_id]) in html
    assert "<dt>Open deals</dt><dd>1</dd>" in html and "<dt>Open tickets</dt><dd>1</dd>" in html


def test_the_card_takes_two_queries(agent, jo):
    call = handle("ringing").call
    call = Call.objects.select_related("contact", "agent").get(pk=call.pk)
    with CaptureQueriesContext(connection) as queries:
        selectors.card(call)
    assert len(queries) == 2


def test_private_timeline_entries_stay_off_someone_elses_card(agent, jo, admin):
    TimelineEntry.objects.create(
        client=jo.client, kind="email", summary="Private thread", private_to=admin
    )
    with capture_events(1) as events:
        handle("ringing")
    assert "Private thread" not in events[0].html


def test_an_unknown_number_offers_to_create_a_contact(agent):
    with capture_events(1) as events:
        handle("ringing", **{"from": "0171 5550123"})
    html = events[0].html
    assert 'Unknown number <span class="text-nowrap">+49 171 5550123</span>' in html
    assert f"{reverse('records:client_new')}?phone=%2B491715550123" in html


def test_answered_redraws_and_ended_removes_the_card_and_logs_the_call(agent, jo):
    call = handle("ringing").call
    with capture_events(1) as events:
        handle("answered")
    assert events[0].kind == "call.answered" and "On the line" in events[0].html
    with capture_events(2) as events:
        handle("ended", duration=192, recording_url="https://pbx.example/rec/1.wav")
    assert [(e.topic, e.kind) for e in events] == [
        (f"user.{agent.pk}", "call.ended"),
        (f"client.{jo.client_id}", "call.ended"),
    ]
    html = events[0].html
    assert f'<div id="call-{call.pk}" hx-swap-oob="delete"></div>' in html
    entry = TimelineEntry.objects.get(kind="call")
    assert f'id="timeline-entry-{entry.pk}"' in html  # the client page's live timeline
    assert entry.summary == f"{agent} took a call from Jo Acme (Acme GmbH) · 3 min 12 s"
    assert entry.actor == agent
    assert entry.data["recording"] == "https://pbx.example/rec/1.wav"
    assert entry.data["duration"] == 192
    assert "3 min 12 s" in html and 'href="https://pbx.example/rec/1.wav"' in html


def test_the_client_page_shows_the_duration_and_recording(agent, jo, client):
    handle("answered")
    handle("ended", duration=65, recording_url="https://pbx.example/rec/2.wav")
    client.force_login(agent)
    page = client.get(reverse("records:client_detail", args=[jo.client_id])).text
    assert "1 min 5 s" in page
    assert 'href="https://pbx.example/rec/2.wav"' in page


def test_a_missed_call_notifies_the_agent_and_makes_a_callback_task(agent, jo):
    handle("ringing")
    with capture_events() as events:
        call = handle("missed").call
    assert call.state == "missed"
    task = Task.objects.get()
    assert call.callback_task == task
    assert (task.assignee, task.client, task.priority) == (agent, jo.client, "high")
    assert task.title == "Call back Jo Acme (Acme GmbH)"
    assert abs(task.due_at - (call.ended_at + services.CALLBACK_DUE)).total_seconds() < 1
    note = Notification.objects.get(recipient=agent, kind="call-missed")
    assert note.text == "Missed call from Jo Acme (Acme GmbH)."
    assert note.link == reverse("records:client_detail", args=[jo.client_id])
    missed = [e for e in events if e.kind == "call.missed"]
    assert {e.topic for e in missed} == {f"user.{agent.pk}", f"client.{jo.client_id}"}
    assert missed[0].payload["task"] == task.pk and missed[0].payload["notified"] == agent.pk
    assert TimelineEntry.objects.get(kind="call").summary == "Missed call from Jo Acme (Acme GmbH)"


def test_without_an_agent_the_owner_is_told(member, jo, sales):
    other = UserFactory(departments=[sales])
    handle("ringing", agent="")
    call = handle("missed", agent="").call
    assert Notification.objects.filter(recipient=member, kind="call-missed").exists()
    assert call.callback_task.assignee == member
    assert not Notification.objects.filter(recipient=other).exists()


def test_callback_tasks_can_be_turned_off(settings, agent, jo):
    settings.TELEPHONY_CALLBACK_TASKS = False
    handle("missed")
    assert not Task.objects.exists()
    assert Notification.objects.filter(recipient=agent, kind="call-missed").exists()


def test_a_missed_unknown_number_gets_a_task_without_a_client(agent):
    call = handle("missed", **{"from": "+44 20 7946 0000"}).call
    assert call.client is None and call.callback_task.client is None
    assert call.callback_task.title == "Call back +44 20 7946 0000"
    assert not TimelineEntry.objects.filter(kind="call").exists()


def test_automation_hears_of_a_missed_call(agent, jo, monkeypatch):
    monkeypatch.setattr(listeners, "_listeners", list(listeners._listeners))  # restored after
    heard = []
    live.register_listener("call.missed", lambda kind, payload, topics: heard.append(payload))
    with capture_events():
        call = handle("missed").call
    assert heard[0]["id"] == call.pk and heard[0]["client"] == jo.client_id


def test_the_calls_page_lists_mine_only(agent, jo, client, django_assert_max_num_queries):
    handle("ended", duration=30)
    handle("ringing", call_id="c-2", agent="")
    client.force_login(agent)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("telephony:calls"))
    assert page.status_code == 200
    assert page.text.count('class="list-group-item') == 1
    assert "Jo Acme · Acme GmbH" in page.text and "30 s" in page.text


@pytest.mark.django_db(transaction=True)
async def test_the_agents_open_tab_receives_the_card(hub):
    agent = await database_sync_to_async(_agent_and_caller)()
    tab = await Socket.open(agent)
    await tab.subscribe({f"user.{agent.pk}": None})
    call = (await database_sync_to_async(handle)("ringing")).call
    frame = await tab.receive()
    assert (frame["kind"], frame["payload"]["id"]) == ("call.ringing", call.pk)
    assert "Jo Acme" in frame["html"]
    await tab.close()


def _agent_and_caller():
    """An agent on extension 201, and Jo Acme on the phone system's caller id."""
    sales = DepartmentFactory(name="Sales", slug="sales")
    agent = UserFactory(departments=[sales], phone_extension="201")
    acme = records.create_client(actor=agent, name="Acme GmbH")
    records.create_contact(actor=agent, client=acme, name="Jo Acme", phones=["030 1234567"])
    return agent


def test_a_recording_reported_after_the_end_is_added_to_the_entry(agent, jo):
    handle("answered")
    handle("ended", duration=20)
    with capture_events(1) as events:
        outcome = handle("ended", recording_url="https://pbx.example/rec/9.wav")
    assert not outcome.applied
    entry = TimelineEntry.objects.get(kind="call")
    assert entry.data["recording"] == "https://pbx.example/rec/9.wav"
    assert (events[0].topic, events[0].kind) == (f"client.{jo.client_id}", "call.updated")
    assert 'href="https://pbx.example/rec/9.wav"' in events[0].html
