"""Who may subscribe to which topic: a registry of policies, one per topic prefix.

A topic is ``<prefix>.<key>``: ``user.5``, ``client.42``, ``dept.sales``. The
app that owns the prefix registers a policy ``check(user, key) -> bool`` in its
``events.py``. Unknown prefixes, malformed names and inactive or anonymous users
are refused, so guessing a topic name never subscribes anyone to it.
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


def can_subscribe(user, topic: str) -> bool:
    """Whether ``user`` may receive the events and presence of ``topic``."""
    match = TOPIC_RE.match(topic) if isinstance(topic, str) else None
    if match is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    policy = _policies.get(match["prefix"])
    return bool(policy and policy(user, match["key"]))
