"""Access re-checks: a socket loses a topic as soon as its person loses access to it.

A socket's topics are checked against the policies when it subscribes. When
access changes later -- someone taken out of a private room, an account
deactivated, a role or departments changed, a task given to someone else, a
meeting made private or an attendee taken off -- the service making the
change calls ``live.recheck_access`` in its transaction. On commit one control
message reaches every server process (the group every hub joins,
``layer.CONTROL_TOPIC``); each hub re-checks its sockets concerned
(``Hub.recheck``): live events of the topics being re-checked are held back
from the moment the message arrives, a topic no longer allowed is dropped
with a ``live.revoked`` frame (its held events with it), the others get their
held events, and a deactivated person's sockets are closed with code 4403.
Each hub also re-checks all its sockets every ``LIVE_RECHECK_SECONDS``, in
case a control message was lost (Redis restarting, another process on the
in-memory layer).
"""

from collections.abc import Iterable
from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction

from workspace.live import layer
from workspace.live.batch import Batched
from workspace.live.policies import can_subscribe_many


def recheck_access(
    user_ids: Iterable[int] | None = None, topics: Iterable[str] | None = None
) -> None:
    """Re-check open sockets' topics once the current transaction commits.

    ``user_ids`` limits it to those people's sockets (None: everyone's),
    ``topics`` to those topics (None: every topic they follow). Someone taken
    out of room 12: ``recheck_access([hannah.pk], ["room.12"])``; a room made
    private: ``recheck_access(topics=["room.12"])``; a role changed:
    ``recheck_access([person.pk])``. Nothing is sent if the transaction rolls
    back.
    """
    message = {
        "type": "live.recheck",
        "users": None if user_ids is None else sorted({int(pk) for pk in user_ids}),
        "topics": None if topics is None else sorted(set(topics)),
    }
    if message["users"] == [] or message["topics"] == []:
        return
    send = partial(layer.send_from_sync, layer.CONTROL_TOPIC, message)
    transaction.on_commit(send, robust=True)


# A re-check's answer when the policies could not be asked (the database was
# unreachable): the socket closes with 4011 and its tab subscribes afresh, asking again.
UNKNOWN = object()


def allowed_topics(user_id: int, topics: Iterable[str]) -> set[str] | None:
    """The ``topics`` the policies let this person follow now; None once deactivated or gone."""
    return allowed_topics_many([(user_id, list(topics))])[0]


def allowed_topics_many(requests: list[tuple[int, list[str]]]) -> list[set[str] | None]:
    """``allowed_topics`` for each (user id, topics): one query for the people, and each
    topic policy asked once for all of them (``policies.can_subscribe_many``)."""
    ids = {user_id for user_id, _ in requests}
    people = get_user_model().objects.filter(is_active=True).in_bulk(ids)
    pairs = [
        (people[user_id], topic)
        for user_id, topics in requests
        if user_id in people
        for topic in topics
    ]
    allowed = {
        (user.pk, topic)
        for (user, topic), ok in zip(pairs, can_subscribe_many(pairs), strict=True)
        if ok
    }
    return [
        {topic for topic in topics if (user_id, topic) in allowed} if user_id in people else None
        for user_id, topics in requests
    ]


# Sockets subscribing in the same moment share a thread hop and the queries.
allowed_topics_batched = Batched(allowed_topics_many)
