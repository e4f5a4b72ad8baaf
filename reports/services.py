"""Reports' writes: weekly digest subscriptions (DESIGN §3)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, QueryDict
from django.utils import timezone

from reports import catalog, digests, filters, policies
from reports.models import ReportSubscription


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
