"""Private iCalendar subscription feeds: one secret link per person, revocable.

The link's token is shown once, when made; only its SHA-256 hash is stored
(``accounts.services.hash_token``, as for invitations), so a leaked database
holds no usable link. Making a new link replaces the old one, which stops
working at once; revoking deletes it.

A feed holds its owner's calendar as their calendar views show it (events they
organize or are invited to and have not declined), from :data:`FEED_PAST` ago
on, every repeating event as its RRULE (so infinite series stay infinite), in
full: it is their own calendar, private events included. Events they are not
in never appear.
"""

import secrets
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from accounts.services import hash_token
from calendar_app import ical, policies
from calendar_app.models import Attendee, CalendarFeed, Event

FEED_PAST = timedelta(days=90)
LAST_USED_PRECISION = timedelta(hours=1)  # calendar apps poll often: no write per poll


def create_feed(*, actor) -> str:
    """Make ``actor``'s subscription link (replacing any old one); returns its secret token."""
    if not policies.can_create_event(actor):
        raise PermissionDenied("You cannot subscribe to a calendar.")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        CalendarFeed.objects.update_or_create(
            user=actor,
            defaults={
                "token_hash": hash_token(token),
                "created_at": timezone.now(),
                "last_used_at": None,
            },
        )
    return token


def revoke_feed(*, actor) -> bool:
    """Turn off ``actor``'s subscription link; whether there was one."""
    deleted, _ = CalendarFeed.objects.filter(user=actor).delete()
    return bool(deleted)


def find_feed(token: str) -> CalendarFeed | None:
    """The live feed a link's token opens (its owner still active), or None."""
    if not token or len(token) > 100:
        return None
    return (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=hash_token(token), user__is_active=True)
        .first()
    )


def note_used(feed: CalendarFeed, moment: datetime | None = None) -> None:
    """Record that a calendar app read the feed — at most once an hour."""
    moment = moment or timezone.now()
    if feed.last_used_at is None or moment - feed.last_used_at >= LAST_USED_PRECISION:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=moment)
        feed.last_used_at = moment


# --- The feed's content --------------------------------------------------------------------


def feed_rows(owner, since: datetime) -> tuple[list[Event], dict[int, set[datetime]]]:
    """The rows of ``owner``'s feed, and per series the occurrences to leave out.

    Rows: single events and series in the owner's calendar that end after
    ``since`` (or never), and the overrides in their calendar of any such
    series, however old (they replace occurrences the RRULE still yields).
    Left out: occurrences replaced by an override that is not in their
    calendar (declined, or not invited to that occurrence) — as the app's own
    views do. Three queries.
    """
    attendees = Attendee.objects.select_related("user")
    live_series = Q(series__isnull=False) & (
        Q(series__last_end__isnull=True) | Q(series__last_end__gte=since)
    )
    rows = list(
        Event.objects.live()
        .attended_by([owner.pk])
        .filter(Q(last_end__isnull=True) | Q(last_end__gte=since) | live_series)
        .select_related("organizer", "series")
        .prefetch_related(Prefetch("attendees", queryset=attendees))
        .order_by("start", "pk")
    )
    rows.sort(key=lambda row: (row.series_id or row.pk, row.series_id is not None))
    series_ids = [row.pk for row in rows if row.is_recurring]
    shown = {row.pk for row in rows if row.series_id}
    hidden: dict[int, set[datetime]] = {}
    if series_ids:
        for series_id, recurrence_id in (
            Event.objects.filter(series_id__in=series_ids)
            .exclude(pk__in=shown)
            .values_list("series_id", "recurrence_id")
        ):
            hidden.setdefault(series_id, set()).add(recurrence_id)
    return rows, hidden


def feed_calendar(owner, *, now: datetime | None = None) -> bytes:
    """``owner``'s subscription feed as iCalendar (METHOD:PUBLISH)."""
    since = (now or timezone.now()) - FEED_PAST
    rows, hidden = feed_rows(owner, since)
    components = [
        ical.vevent(row, series=row.series, hidden=hidden.get(row.pk, ())) for row in rows
    ]
    name = f"{owner.full_name} (Workspace)"
    return ical.to_bytes(ical.new_calendar(components, method=ical.PUBLISH, name=name))
