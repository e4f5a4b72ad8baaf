"""``publish``: the transactional outbox (DESIGN §4).

The event row is written in the caller's transaction; the frame is built and
handed to the channel layer only when that transaction commits. A rollback
removes the row and drops the callback, so nothing is ever shown that did not
happen.
"""

import json
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from workspace.live import layer, listeners
from workspace.live.models import Event
from workspace.live.policies import KIND_RE, check_topic

# The events published in the current request (see ``recording``), or None.
_recorded: ContextVar[list | None] = ContextVar("live_recorded", default=None)


@contextmanager
def recording():
    """Collect the events published inside the block (a list, in order).

    A view answering an htmx write with the fragment the write published uses
    this (through workspace.live.middleware) instead of searching the log,
    where another person's concurrent event could be mistaken for its own.
    """
    published = []
    token = _recorded.set(published)
    try:
        yield published
    finally:
        _recorded.reset(token)


def publish(topic: str, kind: str, payload: dict | None = None, html: str | None = None) -> Event:
    check_topic(topic)
    if not isinstance(kind, str) or not KIND_RE.match(kind):
        raise ValueError(f"{kind!r} is not an event kind like 'client.updated'.")
    event = Event(topic=topic, kind=kind, payload=payload or {}, html=html or "")
    json.dumps(event.payload, cls=DjangoJSONEncoder)  # fail in the service, not on commit
    event.save()
    event.from_listener = listeners.listening()  # not a column; tests tell derived events apart
    transaction.on_commit(partial(deliver, event), robust=True)
    if (recorded := _recorded.get()) is not None:
        recorded.append(event)
    return event


def event_frame(event: Event) -> str:
    """The text sent to browsers for an event: serialized once, for every socket."""
    return json.dumps(
        {
            "type": "live.event",
            "topic": event.topic,
            "id": event.id,
            "kind": event.kind,
            "html": event.html,
            "payload": event.payload,
        },
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
    )


def event_message(event: Event) -> dict:
    """The channel-layer message for an event (the frame travels pre-serialized)."""
    return {"type": "live.event", "topic": event.topic, "id": event.id, "frame": event_frame(event)}


def deliver(event: Event) -> None:
    """On commit: hand the event to every process that follows its topic."""
    layer.send_from_sync(event.topic, event_message(event))
