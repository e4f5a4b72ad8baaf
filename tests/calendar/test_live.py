"""Calendars over a real socket: an invitee's open calendar and bell hear of the invite,
the move and the cancellation; nobody uninvited can follow a private event's page.

Through the whole ASGI stack with the services, the database and the channel
layer all real (SQLite + in-memory layer, or PostgreSQL + Redis).
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from channels.db import database_sync_to_async

from calendar_app import services
from tests.calendar.conftest import berlin, make_event
from tests.factories import DepartmentFactory, UserFactory
from tests.live.conftest import fresh_hub, live_settings  # noqa: F401 (fixtures)
from tests.live_helpers import Socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.backend]


@pytest.fixture
async def team(transactional_db):
    def make():
        sales = DepartmentFactory(name="Sales", slug="sales")
        support = DepartmentFactory(name="Support", slug="support")
        return SimpleNamespace(
            olga=UserFactory(full_name="Olga Organizer", departments=[sales]),
            ivan=UserFactory(full_name="Ivan Invitee", departments=[sales]),
            cora=UserFactory(full_name="Cora Colleague", departments=[support]),
        )

    return await database_sync_to_async(make)()


async def tab(user, *topics) -> Socket:
    socket = await Socket.open(user)
    assert socket.connected
    frames = await socket.subscribe(dict.fromkeys(topics))
    assert [frame["type"] for frame in frames] == ["live.subscribed"] * len(topics)
    return socket


async def heard(socket) -> dict[str, dict]:
    """The next two frames, a calendar change and a bell notification, by topic prefix."""
    frames = await socket.receive_all(2)
    return {frame["topic"].split(".")[0]: frame for frame in frames}


async def test_an_invitee_hears_of_the_invite_the_move_and_the_cancellation(team):
    ivan = await tab(team.ivan, f"calendar.{team.ivan.pk}", f"user.{team.ivan.pk}")
    event = await database_sync_to_async(make_event)(
        team.olga, attendees=[team.ivan], title="Roadmap"
    )

    frames = await heard(ivan)
    assert frames["calendar"]["kind"] == "calendar.changed"
    assert frames["calendar"]["payload"] == {"event": event.pk, "change": "created"}
    assert frames["user"]["kind"] == "notification.added"
    assert "Olga Organizer invited you to “Roadmap”" in frames["user"]["html"]

    await database_sync_to_async(services.move_event)(
        actor=team.olga, event=event, start=berlin(2027, 3, 2, 9), end=berlin(2027, 3, 2, 10)
    )
    frames = await heard(ivan)
    assert frames["calendar"]["payload"] == {"event": event.pk, "change": "moved"}
    assert "moved “Roadmap” to Tue 2 Mar 2027, 09:00" in frames["user"]["html"]

    await database_sync_to_async(services.cancel_event)(actor=team.olga, event=event)
    frames = await heard(ivan)
    assert frames["calendar"]["payload"] == {"event": event.pk, "change": "cancelled"}
    assert "cancelled “Roadmap”" in frames["user"]["html"]
    assert await ivan.silent(0.2)
    await ivan.close()


async def test_a_colleague_watching_someones_calendar_hears_only_that_it_changed(team):
    """Cora has Ivan's calendar open: she hears of the private event, without its title."""
    cora = await tab(team.cora, f"calendar.{team.ivan.pk}")
    event = await database_sync_to_async(make_event)(
        team.olga, attendees=[team.ivan], title="Secret", visibility="private"
    )
    frame = await cora.receive()
    assert (frame["topic"], frame["payload"]) == (
        f"calendar.{team.ivan.pk}",
        {"event": event.pk, "change": "created"},
    )
    assert "Secret" not in str(frame)
    assert await cora.silent(0.2)
    await cora.close()


async def test_only_the_people_in_a_private_event_follow_its_page(team):
    event = await database_sync_to_async(make_event)(
        team.olga,
        attendees=[team.ivan],
        visibility="private",
        start=berlin(2027, 3, 1, 10),
        end=berlin(2027, 3, 1, 10) + timedelta(hours=1),
    )
    topic = f"calevent.{event.pk}"
    cora = await Socket.open(team.cora)
    [refused] = await cora.subscribe({topic: None})
    assert (refused["type"], refused["topic"]) == ("live.error", topic)
    ivan = await tab(team.ivan, topic)

    await database_sync_to_async(services.rsvp)(actor=team.ivan, event=event, response="accepted")
    frame = await ivan.receive()
    assert (frame["topic"], frame["kind"]) == (topic, "calendar.event")
    assert frame["payload"]["change"] == "rsvp"
    assert frame["html"]  # the event page's live regions (templates/calendar_app/event_detail.html)
    assert await cora.silent(0.2)
    await cora.close()
    await ivan.close()
