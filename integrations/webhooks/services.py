"""Every write of webhooks: endpoints (admins only) and the deliveries owed to them.

Deliveries come from the live event log: ``event_published`` is a bus listener
(workspace/live/listeners.py), so it runs in the writer's transaction — a write
that rolls back leaves no delivery and no queued job behind.
"""

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from integrations.webhooks import addresses, catalog
from integrations.webhooks.models import Delivery, Endpoint, new_secret
from integrations.webhooks.tasks import deliver
from workspace import live

EDITABLE = ("url", "description", "kinds", "active")
AUTOMATION_KIND = "automation.rule"
SUBSCRIBED_CACHE_KEY = "webhooks:subscribed-kinds"
SUBSCRIBED_CACHE_SECONDS = 10


def _require_admin(actor: User) -> None:
    if not (actor.is_active and actor.is_admin):
        raise PermissionDenied("Only admins manage webhooks.")


def _validate(endpoint: Endpoint) -> None:
    endpoint.full_clean()
    addresses.resolve(endpoint.url)


def create_endpoint(*, actor: User, url: str, kinds: list[str], description: str = "") -> Endpoint:
    _require_admin(actor)
    endpoint = Endpoint(url=url, kinds=list(kinds), description=description, created_by=actor)
    _validate(endpoint)
    endpoint.save()
    _subscriptions_changed()
    return endpoint


def update_endpoint(*, actor: User, endpoint: Endpoint, **changes) -> Endpoint:
    """Change the URL, description, kinds or ``active``; switching an endpoint back on
    forgets why it was switched off and its run of failures."""
    _require_admin(actor)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        for field, value in changes.items():
            setattr(endpoint, field, value)
        if changes.get("active"):
            endpoint.disabled_reason = ""
            endpoint.consecutive_failures = 0
        endpoint.updated_at = timezone.now()
        _validate(endpoint)
        endpoint.save()
        _subscriptions_changed()
    return endpoint


def rotate_secret(*, actor: User, endpoint: Endpoint) -> Endpoint:
    """A new signing secret; the next deliveries are signed with it."""
    _require_admin(actor)
    endpoint.secret = new_secret()
    endpoint.updated_at = timezone.now()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint


def delete_endpoint(*, actor: User, endpoint: Endpoint) -> None:
    _require_admin(actor)
    endpoint.delete()
    _subscriptions_changed()


def send_test_event(*, actor: User, endpoint: Endpoint) -> Delivery:
    """Queue a ``webhook.test`` delivery to ``endpoint`` (even a switched-off one)."""
    _require_admin(actor)
    payload = {"message": "A test event from Workspace.", "sent_by": actor.pk}
    with transaction.atomic():
        return _queue(endpoint, kind=catalog.TEST_KIND, payload=payload, event_id=None)


def redeliver(*, actor: User, delivery: Delivery) -> Delivery:
    """Send a delivery again, as a new delivery with the same id for the receiver."""
    _require_admin(actor)
    with transaction.atomic():
        return _queue(
            delivery.endpoint,
            kind=delivery.kind,
            payload=delivery.payload,
            event_id=delivery.event_id,
            occurred_at=delivery.occurred_at,
            uid=delivery.uid,
            redelivery_of=delivery,
        )


def queue_for_automation(
    *, actor: User, endpoint: Endpoint, payload: dict, subject: str = "", subject_id=None
) -> Delivery:
    """Queue a delivery of ``payload`` to ``endpoint`` for an automation rule's action,
    as kind ``automation.rule``, whatever kinds the endpoint subscribes to (the rule
    chose it). Signed, retried and address-checked like every delivery. Admins set up
    endpoints; any active member of staff's rule may call an active one. ``subject`` and
    ``subject_id`` name the record the rule ran for: its snapshot is sent as ``object``.
    The job is enqueued in the caller's transaction (none when it rolls back)."""
    if not actor.is_active:
        raise PermissionDenied("A deactivated person's rules call no webhooks.")
    if not endpoint.active:
        raise ValidationError(f"The webhook endpoint {endpoint} is switched off.")
    snapshot = catalog.snapshot(subject, subject_id) if subject in catalog.SNAPSHOT_FIELDS else None
    with transaction.atomic():
        return _queue(
            endpoint, kind=AUTOMATION_KIND, payload=payload | {"object": snapshot}, event_id=None
        )


def _queue(endpoint: Endpoint, **fields) -> Delivery:
    delivery = Delivery.objects.create(endpoint=endpoint, next_attempt_at=timezone.now(), **fields)
    deliver.enqueue(delivery.pk)
    return delivery


# --- From the live event log ------------------------------------------------------


def subscribed_kinds() -> set[str]:
    """The kinds some active endpoint takes, cached: most writes (an import's thousands of
    clients) then cost no query when nobody subscribed. Endpoint changes clear the cache;
    with a per-process cache (no Redis) another process sees a new subscription within
    ``SUBSCRIBED_CACHE_SECONDS``."""
    kinds = cache.get(SUBSCRIBED_CACHE_KEY)
    if kinds is None:
        rows = Endpoint.objects.filter(active=True).values_list("kinds", flat=True)
        kinds = sorted({kind for row in rows for kind in row})
        cache.set(SUBSCRIBED_CACHE_KEY, kinds, SUBSCRIBED_CACHE_SECONDS)
    return set(kinds)


def _subscriptions_changed() -> None:
    cache.delete(SUBSCRIBED_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(SUBSCRIBED_CACHE_KEY))


def event_published(kind: str, payload: dict, topics) -> None:
    """Bus listener: one delivery per active endpoint subscribed to what ``kind`` is, with
    the event's payload and a snapshot of its record (``object``)."""
    public_kinds = catalog.kinds_for(kind, payload)
    names = {public_kind.name for public_kind in public_kinds} & subscribed_kinds()
    endpoints = (
        [
            endpoint
            for endpoint in Endpoint.objects.filter(active=True).only("pk", "kinds")
            if names & set(endpoint.kinds)
        ]
        if names
        else []
    )
    if not endpoints:
        return
    event = live.told_events()[0]
    data = payload | {"object": catalog.snapshot(public_kinds[0].subject, payload.get("id"))}
    for endpoint in endpoints:
        for name in sorted(names & set(endpoint.kinds)):
            _queue(
                endpoint,
                kind=name,
                payload=data,
                event_id=event.pk,
                occurred_at=event.created_at,
            )
