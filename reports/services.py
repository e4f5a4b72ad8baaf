"""Reports' writes (DESIGN §3): weekly digest subscriptions, and the client-health rollup."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, QueryDict
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from accounts.services import notify
from records import events as record_events
from records.models import Client
from reports import catalog, digests, filters, health, policies
from reports.models import ClientHealth, ReportSubscription
from workspace import live


def subscribe(*, actor, slug: str, query: str, weekday: int, hour: int) -> ReportSubscription:
    """Email ``actor`` report ``slug`` with the filters in ``query`` every ``weekday`` at
    ``hour`` in their time zone; subscribing again to the same report and filters moves
    the day and hour."""
    if not policies.can_view_reports(actor):
        raise PermissionDenied("You cannot subscribe to reports.")
    spec = catalog.get(slug)
    if spec is None:
        raise ValidationError("There is no such report.")
    if weekday not in ReportSubscription.Weekday.values or hour not in range(24):
        raise ValidationError("Pick a day of the week and an hour from 00:00 to 23:00.")
    try:
        chosen, _form = filters.read_filters(actor, QueryDict(query or ""))
    except Http404:
        raise ValidationError("These filters name a department or person you cannot see.") from None
    query = chosen.query_string()  # the filters alone, in one spelling
    with transaction.atomic():
        subscription = ReportSubscription.objects.filter(
            user=actor, report=slug, query=query
        ).first() or ReportSubscription(user=actor, report=slug, query=query)
        subscription.weekday, subscription.hour = weekday, hour
        subscription.next_send_at = digests.next_send_at(
            weekday, hour, actor.timezone, timezone.now()
        )
        subscription.full_clean(validate_constraints=False)
        subscription.save()
        digests.schedule(subscription)
    return subscription


def unsubscribe(*, actor, subscription: ReportSubscription) -> None:
    """Stop ``subscription`` (its pending job finds it gone and sends nothing)."""
    if subscription.user_id != actor.pk:
        raise PermissionDenied("This is someone else's subscription.")
    subscription.delete()


# --- The health rollup (reports/health.py computes the scores) ---------------------


def rescore(client_ids, now: datetime | None = None) -> int:
    """Rewrite the ``ClientHealth`` rows of ``client_ids``; returns how many scores changed.

    Call inside a transaction. The rows are locked first (created when
    missing, in id order), so two writers touching one client rescore one
    after the other, each seeing the other's committed change. A score rising
    to ``AT_RISK_SCORE`` tells the owner; changed scores reach open client pages.
    """
    now = now or timezone.now()
    ids = sorted(set(client_ids))
    facts = health.gather(ids, now)
    ClientHealth.objects.filter(pk__in=ids).exclude(pk__in=list(facts)).delete()
    ClientHealth.objects.bulk_create(
        [ClientHealth(client_id=pk, computed_at=now) for pk in facts], ignore_conflicts=True
    )
    rows = ClientHealth.objects.select_for_update().filter(pk__in=list(facts)).order_by("pk")
    changed, crossed = [], []
    for row in rows:
        scored = health.health_of(facts[row.pk], now)
        if scored.at_risk and not row.at_risk:
            crossed.append((row.pk, scored))
        if scored.score != row.score:
            changed.append(row)
        row.score, row.at_risk, row.computed_at = scored.score, scored.at_risk, now
        row.reasons = [reason.as_dict() for reason in scored.reasons]
        _save(row)
    _tell_owners(crossed, facts)
    for row in changed:
        _publish_panel(row)
    return len(changed)


def _save(row: ClientHealth) -> None:
    row.save(update_fields=["score", "reasons", "at_risk", "computed_at"])


def _tell_owners(crossed: list[tuple[int, health.Health]], facts: dict) -> None:
    """Notify the owner of each client that has just become at risk."""
    if not crossed:
        return
    owners = User.objects.in_bulk({facts[pk].owner_id for pk, _ in crossed})
    for pk, scored in crossed:
        notify(
            recipient=owners[facts[pk].owner_id],
            kind=health.NOTIFICATION_KIND,
            text=f"{facts[pk].name} is at risk (score {scored.score}): {scored.summary()}.",
            link=health.client_link(pk),
        )


def _publish_panel(row: ClientHealth) -> None:
    """The client page's health panel, swapped in place in open tabs."""
    panel = health.panel_context(row.pk, row, oob=True)
    html = render_to_string(f"{health.PANEL_TEMPLATE}#panel", panel)
    live.publish(record_events.client_topic(row.pk), "health.scored", {"score": row.score}, html)


def rescore_all(now: datetime | None = None, chunk: int = 500) -> int:
    """Rescore every client, ``chunk`` at a time (a transaction each); returns how many
    scores changed. Rows of clients no longer scored are dropped."""
    now = now or timezone.now()
    changed, after = 0, 0
    while True:
        ids = list(
            Client.objects.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:chunk]
        )
        if not ids:
            return changed
        with transaction.atomic():
            changed += rescore(ids, now)
        after = ids[-1]
