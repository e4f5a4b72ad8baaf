"""Delivering webhooks (django.tasks jobs, run by ``manage.py run_worker``).

``deliver`` makes one attempt and records it. A failure is retried with
exponential backoff and jitter (``Retry-After`` wins when the receiver sends
one) until ``WEBHOOKS_RETRY_FOR`` after the delivery was created; a 4xx other
than 408 and 429 is not retried (the receiver refused this request for good).
Every failed attempt counts against the endpoint: after
``WEBHOOKS_DISABLE_AFTER`` in a row it is switched off and the admins are told.
"""

import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import notify
from integrations.webhooks import catalog, sending
from integrations.webhooks.models import Attempt, Delivery, Endpoint

Status = Delivery.Status
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=6)
LONGEST_RETRY_AFTER = timedelta(days=1)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: 30 s doubling, at most 6 h, ±20% jitter
    (so a receiver that comes back is not hit by every delivery at the same instant)."""
    wait = min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_WAIT)
    return wait * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not a secret)


def _wait(outcome: sending.Outcome, attempts: int) -> timedelta:
    if outcome.retry_after is not None:
        return min(timedelta(seconds=max(outcome.retry_after, 1)), LONGEST_RETRY_AFTER)
    return backoff(attempts)


@task
def deliver(delivery_id: int) -> str:
    """Make the next attempt of a pending or failed delivery; returns its status."""
    delivery = Delivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status in (Status.SUCCEEDED, Status.GAVE_UP):
        return "gone" if delivery is None else delivery.status
    if not delivery.endpoint.active and delivery.kind != catalog.TEST_KIND:
        return _give_up(delivery, "The endpoint is switched off.")
    outcome = sending.post(delivery)
    return record(delivery, outcome)


def _give_up(delivery: Delivery, error: str) -> str:
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Status.GAVE_UP, error=error, next_attempt_at=None, updated_at=timezone.now()
    )
    return Status.GAVE_UP


def record(delivery: Delivery, outcome: sending.Outcome) -> str:
    """Store an attempt's outcome, and queue the next attempt when one is due."""
    moment = timezone.now()
    with transaction.atomic():
        delivery.attempts += 1
        Attempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            response_code=outcome.code,
            response_ms=outcome.ms,
            error=outcome.error,
        )
        delivery.response_code = outcome.code
        delivery.response_ms = outcome.ms
        delivery.response_excerpt = outcome.excerpt[: sending.EXCERPT]
        delivery.error = outcome.error
        delivery.updated_at = moment
        delivery.next_attempt_at = None
        if outcome.ok:
            delivery.status = Status.SUCCEEDED
            endpoint_succeeded(delivery.endpoint)
        else:
            switched_off = endpoint_failed(delivery.endpoint, limit=settings.WEBHOOKS_DISABLE_AFTER)
            due = moment + _wait(outcome, delivery.attempts)
            if outcome.retryable and not switched_off and due <= _deadline(delivery):
                delivery.status = Status.FAILED
                delivery.next_attempt_at = due
                deliver.using(run_after=due).enqueue(delivery.pk)
            else:
                delivery.status = Status.GAVE_UP
        delivery.save()
    return delivery.status


def _deadline(delivery: Delivery):
    return delivery.created_at + settings.WEBHOOKS_RETRY_FOR


# --- Results of attempts ----------------------------------------------------------


def endpoint_failed(endpoint: Endpoint, *, limit: int) -> bool:
    """Count a failed attempt (in the caller's transaction); switch the endpoint off and
    tell every admin when it has failed ``limit`` times in a row. True when switched off."""
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.consecutive_failures += 1
    switched_off = endpoint.active and endpoint.consecutive_failures >= limit
    if switched_off:
        endpoint.active = False
        endpoint.disabled_reason = (
            f"Switched off after {endpoint.consecutive_failures} failed deliveries in a row."
        )
    endpoint.save(update_fields=["consecutive_failures", "active", "disabled_reason"])
    if switched_off:
        _tell_admins(endpoint)
    return switched_off


def endpoint_succeeded(endpoint: Endpoint) -> None:
    Endpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)


def _tell_admins(endpoint: Endpoint) -> None:
    link = reverse("webhooks:endpoint", args=[endpoint.pk])
    text = f"Webhook {endpoint.url} was switched off: {endpoint.disabled_reason}"
    for admin in User.objects.filter(is_active=True, role=Role.ADMIN):
        notify(recipient=admin, kind="webhook-disabled", text=text, link=link)
