"""Publish on commit, replay after reconnect, resync past retention, fan-out."""

import asyncio
import threading
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.db import transaction
from django.utils import timezone

from tests.live_helpers import Socket, capture_events, publish_committed
from workspace import live
from workspace.live import layer
from workspace.live.hub import get_hub
from workspace.live.models import Event, Watermark
from workspace.live.tasks import prune, prune_events

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.backend]


async def test_publish_is_delivered_only_after_commit(ana):
    socket = await Socket.open(ana)
    await socket.subscribe({"probe.open": None})
    written, release = threading.Event(), threading.Event()

    def write_and_wait():
        with transaction.atomic():
            event = live.publish("probe.open", "probe.changed", {"step": 1})
            written.set()
            release.wait(5)
        return event

    writer = asyncio.ensure_future(database_sync_to_async(write_and_wait)())
    await asyncio.get_running_loop().run_in_executor(None, written.wait, 5)
    assert await socket.silent(0.3), "an uncommitted event reached a socket"
    release.set()
    event = await writer
    frame = await socket.receive()
    assert (frame["id"], frame["payload"]) == (event.id, {"step": 1})
    await socket.close()


async def test_rollback_publishes_nothing(ana):
    socket = await Socket.open(ana)
    await socket.subscribe({"probe.open": None})

    def write_and_fail():
        with transaction.atomic():
            live.publish("probe.open", "probe.changed")
            raise RuntimeError("the service failed after publishing")

    with pytest.raises(RuntimeError):
        await database_sync_to_async(write_and_fail)()
    assert await socket.silent(0.3)
    assert not await database_sync_to_async(Event.objects.exists)()
    await socket.close()


@pytest.mark.django_db
def test_publish_validates_its_arguments():
    with pytest.raises(ValueError, match="topic"):
        live.publish("not a topic", "probe.changed")
    with pytest.raises(ValueError, match="kind"):
        live.publish("probe.open", "Bad Kind")
    with pytest.raises(TypeError):
        live.publish("probe.open", "probe.changed", {"thing": object()})
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_capture_events_sees_only_committed_events():
    with capture_events(1) as events:
        live.publish("probe.open", "probe.changed", {"n": 1})
        assert events == [], "delivered before the commit"
    assert (events[0].topic, events[0].kind, events[0].payload) == (
        "probe.open",
        "probe.changed",
        {"n": 1},
    )
    with capture_events(0), pytest.raises(RuntimeError), transaction.atomic():
        live.publish("probe.open", "probe.changed")
        raise RuntimeError


async def test_replay_after_reconnect_sends_exactly_the_missed_events_in_order(ana, settings):
    settings.LIVE_REPLAY_OVERLAP = timedelta(0)
    first = await Socket.open(ana)
    await first.subscribe({"probe.open": None, f"user.{ana.pk}": None})
    seen = await publish_committed("probe.open", payload={"n": 0})
    assert (await first.receive())["id"] == seen.id
    await first.close()

    missed = [await publish_committed("probe.open", payload={"n": n}) for n in range(1, 4)]
    await publish_committed(f"user.{ana.pk}", "probe.other")  # another topic: not replayed

    second = await Socket.open(ana)
    frames = await second.subscribe({"probe.open": seen.id})
    frames += await second.receive_all(3)
    assert frames[0] == {"type": "live.subscribed", "topic": "probe.open"}
    assert [(frame["id"], frame["payload"]["n"]) for frame in frames[1:]] == [
        (event.id, n) for n, event in enumerate(missed, start=1)
    ]
    assert await second.silent()
    # And it is live again.
    after = await publish_committed("probe.open")
    assert (await second.receive())["id"] == after.id
    await second.close()


async def test_replay_overlap_resends_recent_events_once_each(ana, settings):
    settings.LIVE_REPLAY_OVERLAP = timedelta(seconds=30)
    events = [await publish_committed("probe.open", payload={"n": n}) for n in range(3)]
    socket = await Socket.open(ana)
    frames = await socket.subscribe({"probe.open": events[1].id})
    frames += await socket.receive_all(3)
    # Everything recent comes again (a late commit with a lower id is not lost);
    # applying an event twice changes nothing in the page.
    assert [frame["id"] for frame in frames[1:]] == [event.id for event in events]
    assert await socket.silent()
    await socket.close()


async def test_resync_when_the_gap_is_older_than_retention(ana, settings):
    settings.LIVE_RETENTION = timedelta(hours=1)
    old = await publish_committed("probe.open", payload={"n": 1})
    await database_sync_to_async(Event.objects.filter(pk=old.pk).update)(
        created_at=timezone.now() - timedelta(hours=2)
    )
    recent = await publish_committed("probe.open", payload={"n": 2})
    assert await database_sync_to_async(prune)() == 1
    assert await database_sync_to_async(lambda: Watermark.objects.get().pruned_through)() == old.id

    behind = await Socket.open(ana)
    frames = await behind.subscribe({"probe.open": old.id - 1})
    assert frames == [{"type": "live.subscribed", "topic": "probe.open"}]
    assert await behind.receive() == {"type": "live.resync", "topic": "probe.open", "id": recent.id}
    assert await behind.silent()
    await behind.close()

    # A client that saw the pruned event is fine: nothing it needs is gone.
    current = await Socket.open(ana)
    await current.subscribe({"probe.open": old.id})
    assert (await current.receive())["id"] == recent.id
    await current.close()


async def test_resync_when_too_far_behind(ana, settings):
    settings.LIVE_REPLAY_LIMIT = 2
    start = await publish_committed("probe.open")
    for _ in range(3):
        await publish_committed("probe.open")
    socket = await Socket.open(ana)
    await socket.subscribe({"probe.open": start.id})
    assert (await socket.receive())["type"] == "live.resync"
    await socket.close()


@pytest.mark.django_db
def test_prune_task_runs_and_reschedules(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    Event.objects.create(topic="probe.open", kind="probe.old")
    Event.objects.filter().update(created_at=timezone.now() - timedelta(days=3))
    assert prune_events.call(3600) == 1
    assert not Event.objects.exists()
    result = prune_events.get_backend().results[-1]
    assert result.args == [3600]
    assert result.task.run_after > timezone.now()


async def test_one_layer_subscription_per_process_and_topic(ana, ben):
    sockets = [await Socket.open(user) for user in (ana, ana, ben)]
    for socket in sockets:
        await socket.subscribe({"probe.open": None})
    hub = await get_hub()
    assert hub.joined == {"probe.open", layer.CONTROL_TOPIC}  # and access re-checks' group
    assert len(hub.subscribers["probe.open"]) == 3
    event = await publish_committed("probe.open")
    for socket in sockets:
        assert (await socket.receive())["id"] == event.id
    for socket in sockets:
        await socket.close()
    assert "probe.open" not in hub.subscribers
    await asyncio.sleep(0.05)  # LIVE_LINGER_SECONDS is 0 in tests
    assert hub.joined == {layer.CONTROL_TOPIC}


async def test_a_slow_socket_is_closed_without_stalling_the_others(ana, ben, settings):
    settings.LIVE_SEND_QUEUE = 5
    slow, fast = await Socket.open(ana), await Socket.open(ben)
    await slow.subscribe({"probe.open": None})
    await fast.subscribe({"probe.open": None})
    hub = await get_hub()
    (stuck,) = [s for s in hub.subscribers["probe.open"] if s.user.pk == ana.pk]
    stuck.pause_writing()  # what daphne signals when the client stops reading
    events = [await publish_committed("probe.open") for _ in range(7)]
    assert [(await fast.receive())["id"] for _ in events] == [event.id for event in events]
    assert await slow.communicator.receive_output(2) == {"type": "websocket.close", "code": 4008}
    assert len(stuck._queue) == 0, "a closed socket keeps no backlog"
    await fast.close()


async def test_paused_socket_resumes_in_order(ana):
    socket = await Socket.open(ana)
    await socket.subscribe({"probe.open": None})
    hub = await get_hub()
    (consumer,) = hub.subscribers["probe.open"]
    consumer.pause_writing()
    events = [await publish_committed("probe.open") for _ in range(3)]
    assert await socket.silent(0.2)
    consumer.resume_writing()
    assert [(await socket.receive())["id"] for _ in events] == [event.id for event in events]
    await socket.close()


async def test_sweep_delivers_what_the_layer_lost(ana, settings):
    settings.LIVE_SWEEP_SECONDS = 3600  # on, but the test runs the sweeps itself
    never_sent = database_sync_to_async(Event.objects.create)
    await never_sent(topic="probe.open", kind="probe.x")  # before anyone follows the topic
    socket = await Socket.open(ana)
    await socket.subscribe({"probe.open": None})
    hub = await get_hub()
    lost = await never_sent(topic="probe.open", kind="probe.x")
    # Never handed to the layer (as if Redis dropped it); the sweep finds it.
    await hub.sweep()
    assert (await socket.receive())["id"] == lost.id, "the sweep starts where the socket joined"
    await hub.sweep()
    assert await socket.silent(0.2), "delivered twice"
    await socket.close()


async def test_presence_join_and_leave(ana, ben):
    ana_tab, ben_tab = await Socket.open(ana), await Socket.open(ben)
    await ana_tab.subscribe({"probe.open": None})
    await ben_tab.subscribe({"probe.open": None})

    await ana_tab.send(action="here", topic="probe.open")
    expected = [{"id": ana.pk, "name": "Ana Lima", "initials": "AL", "colour": ana.pk % 8}]
    for tab in (ana_tab, ben_tab):
        assert await tab.receive() == {
            "type": "live.presence",
            "topic": "probe.open",
            "people": expected,
        }

    await ben_tab.send(action="here", topic="probe.open")
    people = (await ana_tab.receive())["people"]
    assert [person["name"] for person in people] == ["Ana Lima", "Ben Okafor"]
    await ben_tab.receive()

    # A second tab of Ana's does not make her appear twice, and closing it keeps her here.
    second = await Socket.open(ana)
    await second.subscribe({"probe.open": None})
    await second.send(action="here", topic="probe.open")
    assert len((await ana_tab.receive())["people"]) == 2
    await second.close()
    assert len((await ana_tab.receive())["people"]) == 2

    # Ben leaves by closing his tab: cleaned on disconnect.
    await ben_tab.receive_all(2)
    await ben_tab.close()
    assert [person["name"] for person in (await ana_tab.receive())["people"]] == ["Ana Lima"]

    await ana_tab.send(action="away", topic="probe.open")
    assert (await ana_tab.receive())["people"] == []
    await ana_tab.close()


async def test_presence_entries_expire_when_not_refreshed(ana, settings):
    settings.LIVE_PRESENCE_TTL = 0.2
    tab = await Socket.open(ana)
    await tab.subscribe({"probe.open": None})
    await tab.send(action="here", topic="probe.open")
    assert len((await tab.receive())["people"]) == 1
    hub = await get_hub()
    await asyncio.sleep(0.3)
    assert await hub.presence.members("probe.open") == []
    await tab.close()
