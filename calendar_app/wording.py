"""How the calendar points people to an event and tells them when it is.

Used by the services (bell notifications), the invitation emails, the
iCalendar export and the reminders alike; it imports none of them, so they
all depend on it one way.
"""

from datetime import datetime

from django.urls import reverse

from calendar_app.models import Event
from calendar_app.recurrence import zone


def event_link(event: Event) -> str:
    return reverse("calendar:event_detail", args=[event.pk])


def local_when(start: datetime, tz_name: str, *, all_day: bool = False) -> str:
    """“Tue 1 Dec 2026, 10:00 (Europe/Berlin)”, or “Tue 1 Dec 2026 (all day)”."""
    local = start.astimezone(zone(tz_name))
    if all_day:
        return f"{local:%a} {local.day} {local:%b %Y} (all day)"
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M} ({tz_name})"
