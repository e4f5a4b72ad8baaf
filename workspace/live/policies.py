"""Who may subscribe to which topic: a registry of policies, one per topic prefix.

A topic is ``<prefix>.<key>``: ``user.5``, ``client.42``, ``dept.sales``. The
app that owns the prefix registers a policy ``check(user, key) -> bool`` in its
``events.py``. Unknown prefixes, malformed names and inactive or anonymous users
are refused, so guessing a topic name never subscribes anyone to it.

Sockets subscribing in the same moment (every tab reconnecting after a restart)
are answered together (``can_subscribe_many``). A policy that would query once
per topic may carry a batch form as its ``many`` attribute,
``check.many(pairs: list[(user, key)]) -> list[bool]``, giving the same answers
with a query or two for all of them (records' and chat's topic policies do).
"""

import re
from collections.abc import Callable

TOPIC_RE = re.compile(r"^(?P<prefix>[a-z][a-z0-9_]{0,30})\.(?P<key>[A-Za-z0-9_-]{1,64})$")
KIND_RE = re.compile(r"^[a-z][a-z0-9_.-]{0,59}$")

Policy = Callable[[object, str], bool]
_policies: dict[str, Policy] = {}


def register_topic(prefix: str, policy: Policy) -> None:
    """Make ``<prefix>.<key>`` topics subscribable by users ``policy(user, key)`` allows."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,30}", prefix):
        raise ValueError(f"{prefix!r} is not a valid topic prefix (lowercase letters, digits, _).")
    registered = _policies.get(prefix)
    if registered is not None and registered is not policy:
        raise ValueError(f"Topic prefix {prefix!r} already has a policy: {registered!r}.")
    _policies[prefix] = policy


def is_valid_topic(topic: object) -> bool:
    return isinstance(topic, str) and TOPIC_RE.match(topic) is not None


def check_topic(topic: str) -> None:
    if not is_valid_topic(topic):
        raise ValueError(f"{topic!r} is not a topic name like 'client.42'.")


def _policy_and_key(user, topic) -> tuple[Policy | None, str]:
    """The policy that decides ``topic`` for ``user`` and its key; no policy: refused."""
    match = TOPIC_RE.match(topic) if isinstance(topic, str) else None
    if match is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None, ""
    return _policies.get(match["prefix"]), match["key"]


def can_subscribe(user, topic: str) -> bool:
    """Whether ``user`` may receive the events and presence of ``topic``."""
    policy, key = _policy_and_key(user, topic)
    return bool(policy and policy(user, key))


def can_subscribe_many(pairs: list[tuple[object, str]]) -> list[bool]:
    """``can_subscribe`` for each (user, topic), asking each policy's batch form once."""
    asked: dict[Policy, list[tuple[int, object, str]]] = {}
    for index, (user, topic) in enumerate(pairs):
        policy, key = _policy_and_key(user, topic)
        if policy is not None:
            asked.setdefault(policy, []).append((index, user, key))
    answers = [False] * len(pairs)
    for policy, wanted in asked.items():
        many = getattr(policy, "many", None)
        if many is None:
            results = [policy(user, key) for _, user, key in wanted]
        else:
            results = many([(user, key) for _, user, key in wanted])
        for (index, _, _), allowed in zip(wanted, results, strict=True):
            answers[index] = bool(allowed)
    return answers
