"""Hook automation onto the live bus (called from the app's ``ready``).

The listener runs inside the writer's transaction (workspace/live/listeners.py), so it
does as little as it can: when an enabled rule listens to the event's kind it writes an
``Occurrence`` and the job that dispatches it, both committing (or not) with the change;
otherwise nothing, not even a query — the kinds enabled rules listen to are cached, and
the cache is cleared whenever a rule changes (automation/services.py publishes
``automation.rule_*`` for every change). The rest happens after commit, in a worker
(automation/engine.py).
"""

from django.core.cache import cache
from django.db import transaction

from automation import triggers
from automation.engine import dispatch_occurrence
from automation.models import Occurrence, Rule
from workspace import acting, live

LISTENED_CACHE_KEY = "automation:listened-kinds"
# Another process (a per-process cache: no Redis) sees a rule switched on within this.
LISTENED_CACHE_SECONDS = 10


def load() -> None:
    """Listen to every kind some trigger is made of, and to the rules' own changes."""
    for kind in sorted(triggers.bus_kinds()):
        live.register_listener(kind, event_published)
    live.register_listener("automation.rule_", rules_changed)


def listened_kinds() -> frozenset[str]:
    """The bus kinds some enabled rule's trigger listens to (cached)."""
    kinds = cache.get(LISTENED_CACHE_KEY)
    if kinds is None:
        names = Rule.objects.filter(enabled=True).values_list("trigger", flat=True).distinct()
        kinds = sorted(
            {kind for name in names if name in triggers.CATALOG for kind in _kinds_of(name)}
        )
        cache.set(LISTENED_CACHE_KEY, kinds, LISTENED_CACHE_SECONDS)
    return frozenset(kinds)


def _kinds_of(trigger_key: str) -> tuple[str, ...]:
    return triggers.CATALOG[trigger_key].bus_kinds


def forget_listened_kinds() -> None:
    """Rules changed: drop the cache now and again on commit (a reader between the two
    could have cached what was true before the commit)."""
    cache.delete(LISTENED_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(LISTENED_CACHE_KEY))


def rules_changed(kind: str, payload: dict, topics) -> None:
    forget_listened_kinds()


def event_published(kind: str, payload: dict, topics) -> None:
    """Bus listener: queue the change for the rules when some enabled rule listens to it.

    The occurrence keeps the chain of rules whose actions made the change (empty for a
    person's), so the engine can stop loops and keep a rule from hearing itself.
    """
    if kind not in listened_kinds():
        return
    rule = acting.acting_rule()
    occurrence = Occurrence.objects.create(
        kind=kind,
        payload=payload,
        topics=list(topics),
        chain=list(rule.chain) if rule else [],
        event_id=_first_id(live.told_events()),
    )
    dispatch_occurrence.enqueue(occurrence.pk)


def _first_id(events) -> int | None:
    return events[0].id if events else None
