"""The live bus: one socket per tab, publish on commit, replay after reconnect.

The whole public API, for services and apps:

    from workspace import live

    live.publish("client.42", "client.updated", {"field": "name"}, html=fragment)
    live.register_topic("client", policies.can_view_client_topic)
    live.register_action("chat.send", handler)   # async def handler(socket, frame)
    live.recheck_access([hannah.pk], ["room.12"])  # after taking Hannah out of room 12
    live.publish_each(["deal.7", "client.3"], "deal.won", payload, html=fragment)
    live.register_listener("deal.", handler)  # handler(kind, payload, topics), in the transaction
    live.told_events()  # inside a listener: the change's event rows

`publish` writes an event row in the caller's transaction and delivers it when
that transaction commits (nothing is sent when it rolls back). Apps register,
per topic prefix, the policy deciding who may subscribe; they do it in their
``events.py`` module, which the bus imports at start-up. An app that takes
frames over the socket registers a handler per action in its ``consumers.py``
(imported at start-up too); the handler's ``socket`` can reply, send errors
and broadcast ephemeral signals (workspace/live/actions.py: ``ActionSocket``).
A service that changes who may follow a topic calls ``recheck_access`` in its
transaction: open sockets that lost access drop the topic
(workspace/live/access.py). A higher app that must react to a lower one's
writes in the same transaction (rollups, automation) registers a listener
(workspace/live/listeners.py).
Nothing outside this package talks to the channel layer
(tests/live/test_boundaries.py checks it).
"""

from workspace.live.access import recheck_access
from workspace.live.actions import register_action
from workspace.live.listeners import register_listener, tell_listeners, told_events
from workspace.live.policies import can_subscribe, register_topic


def publish(topic: str, kind: str, payload: dict | None = None, html: str | None = None):
    """Record an event on ``topic`` now, deliver it on commit; returns the Event.

    Call it from a service, inside the transaction that makes the change
    (DESIGN §3 step 5). ``html`` is a fragment rendered once for every viewer:
    elements carrying ``hx-swap-oob`` are swapped into open pages by element id.
    """
    return publish_each([topic], kind, payload, html)[0]


def publish_each(topics, kind: str, payload: dict | None = None, html: str | None = None):
    """Publish one change on each of ``topics`` (in order, no duplicates), sharing ``html``;
    returns the Events. Listeners of ``kind`` hear of the change once."""
    from workspace.live.outbox import publish as publish_event

    payload = payload or {}
    topics = list(dict.fromkeys(topics))
    published = [publish_event(topic, kind, payload, html) for topic in topics]
    tell_listeners(kind, payload, topics, published)
    return published


__all__ = [
    "can_subscribe",
    "publish",
    "publish_each",
    "recheck_access",
    "register_action",
    "register_listener",
    "register_topic",
    "told_events",
]
