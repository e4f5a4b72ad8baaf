"""In-transaction listeners: how a higher app reacts to a lower app's writes.

DESIGN §2: a lower app (records) never imports a higher one (reports,
automation). Instead the higher app registers, per event-kind prefix, a
function the bus calls while publishing — inside the writer's transaction,
so whatever the listener writes (a rollup row, a derived event) commits or
rolls back with the change itself.

One change published on several topics (a deal move shows on the deal, its
client, its board and the deals list) reaches each listener once:
``publish_each`` publishes the events and then tells the listeners.
"""

import re
from collections.abc import Callable, Sequence
from contextvars import ContextVar

# handler(kind, payload, topics): topics are every topic the change was published on.
Listener = Callable[[str, dict, Sequence[str]], None]
_listeners: list[tuple[str, Listener]] = []
_running: ContextVar[bool] = ContextVar("live_listener_running", default=False)
_told: ContextVar[tuple] = ContextVar("live_listener_events", default=())


def register_listener(kind_prefix: str, handler: Listener) -> None:
    """Call ``handler`` for every event whose kind starts with ``kind_prefix`` ("deal.")."""
    if not re.fullmatch(r"[a-z][a-z0-9_.-]*", kind_prefix):
        raise ValueError(f"{kind_prefix!r} is not an event-kind prefix like 'deal.'.")
    if (kind_prefix, handler) not in _listeners:
        _listeners.append((kind_prefix, handler))


def tell_listeners(kind: str, payload: dict, topics: Sequence[str], events=()) -> None:
    """Run the listeners of ``kind`` now (the caller is inside the writer's transaction);
    ``events`` are the log rows of the change, which ``told_events`` gives the listeners."""
    token = _running.set(True)
    told = _told.set(tuple(events))
    try:
        for prefix, handler in tuple(_listeners):
            if kind.startswith(prefix):
                handler(kind, payload, topics)
    finally:
        _told.reset(told)
        _running.reset(token)


def told_events() -> tuple:
    """Inside a listener: the event log rows of the change it is told of, one per topic in
    the topics' order (so ``told_events()[0].id`` names the change), without a query."""
    return _told.get()


def listening() -> bool:
    """Whether a listener is running now: what it publishes follows from another change
    (tests of a service's own events leave those out, tests/live_helpers.py)."""
    return _running.get()
