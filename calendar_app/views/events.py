"""An event's page: when and where, who comes and their answers (live), RSVP, cancel.

A series' occurrence is opened as ``?occurrence=<YYYYMMDDTHHMMSSZ>`` (its
original start, as the calendar's links give it): the page shows that
occurrence's date, and editing or cancelling it asks which occurrences. An
occurrence changed on its own has a row of its own, and its link goes there.

The parts every viewer sees alike (title, when and where, people and answers,
description and links) are partials of event_detail.html that the services
re-render for ``calevent.<id>`` (the ``live`` partial); what depends on the
viewer (RSVP buttons, Edit and Cancel) stays around them.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from calendar_app import policies, selectors, services
from calendar_app.events import event_topic
from calendar_app.forms import SCOPES
from calendar_app.models import REMINDER_CHOICES, Attendee, Event
from calendar_app.recurrence import (
    describe,
    format_utc,
    occurrence_at,
    occurrence_end,
    parse_utc,
    zone,
)
from workspace.htmx import run_write

DETAIL = "calendar_app/event_detail.html"
DASH = "\N{EN DASH}"
RSVP_BUTTONS = [
    (Attendee.Response.ACCEPTED, "Going", "check-circle"),
    (Attendee.Response.TENTATIVE, "Maybe", "question-circle"),
    (Attendee.Response.DECLINED, "Not going", "x-circle"),
]


@dataclass(frozen=True)
class Shown:
    """What an event page is about: a row, and the span shown. For an occurrence of a
    series, ``occurrence`` is its original start (what the services take); an override
    row names its occurrence itself. ``moved_to``: the occurrence asked for has a row of
    its own (its page is the place); ``missing``: it was moved or deleted."""

    event: Event
    start: datetime
    end: datetime
    occurrence: datetime | None = None
    moved_to: int | None = None
    missing: bool = False

    @property
    def in_series(self) -> bool:
        """Changes and cancellations say which occurrences they are for."""
        return self.occurrence is not None or self.event.series_id is not None

    @property
    def query(self) -> str:
        return f"?occurrence={format_utc(self.occurrence)}" if self.occurrence else ""


def shown_occurrence(event: Event, text: str) -> Shown:
    """The page of ``event`` for ``?occurrence=text``; 404 for text that is no date."""
    if not text or not event.is_recurring:
        return Shown(event, event.start, event.end)
    try:
        moment = parse_utc(text)
    except ValueError:
        raise Http404("No such occurrence.") from None
    override = event.overrides.filter(recurrence_id=moment).values_list("pk", flat=True).first()
    if override is not None:
        return Shown(event, event.start, event.end, moved_to=override)
    if not occurrence_at(event, moment):
        return Shown(event, event.start, event.end, missing=True)
    return Shown(event, moment, occurrence_end(event, moment), occurrence=moment)


def event_url(event: Event, shown: Shown | None = None) -> str:
    return reverse("calendar:event_detail", args=[event.pk]) + (shown.query if shown else "")


# --- The page ------------------------------------------------------------------------


@require_GET
def event_detail(request, pk):
    event = policies.access_event(request.user, pk)
    shown = shown_occurrence(event, request.GET.get("occurrence", ""))
    if shown.moved_to is not None:
        return redirect("calendar:event_detail", pk=shown.moved_to)
    return render(request, DETAIL, page_context(request.user, shown))


def page_context(user, shown: Shown) -> dict:
    event = shown.event
    live = not event.is_cancelled
    return {
        "event": event,
        "shown": shown,
        "when": occurrence_when(shown) if shown.in_series else "",
        "repeat_summary": describe(series_rule(event)),
        "reminder": _reminder_label(event.reminder_minutes),
        "topic": event_topic(event.pk),
        "can_edit": live and policies.can_edit_event(user, event),
        "can_rsvp": live and policies.can_rsvp(user, event),
        "my_response": selectors.response_of(user.pk, event),
        "answers": RSVP_BUTTONS,
        "scopes": SCOPES,
    }


def series_rule(event: Event) -> str:
    """The repeat rule ``event`` follows (an override row: its series')."""
    return event.series.rrule if event.series_id else event.rrule


def occurrence_when(shown: Shown) -> str:
    """The occurrence shown, in the event's zone: its day, times and zone (“Wed 9 Dec 2026,
    09:00-10:00 (Europe/Berlin)”, with an en dash), or its days for an all-day event."""
    event = shown.event
    tz = zone(event.timezone)
    start, end = shown.start.astimezone(tz), shown.end.astimezone(tz)
    if event.all_day:
        last = end.date() - timedelta(days=1)
        if last <= start.date():
            return f"{_day(start)}, all day"
        return f"{_day(start)} {DASH} {_day(last)}, all day"
    until = f"{end:%H:%M}" if end.date() == start.date() else f"{_day(end)}, {end:%H:%M}"
    return f"{_day(start)}, {start:%H:%M}{DASH}{until} ({event.timezone})"


def _day(moment) -> str:
    return f"{moment:%a} {moment.day} {moment:%b %Y}"


def _reminder_label(minutes: int | None) -> str:
    if minutes is None:
        return "No reminder"
    return dict(REMINDER_CHOICES).get(minutes, f"{minutes} minutes before")


# --- Answering and cancelling ----------------------------------------------------------------


@require_POST
def event_rsvp(request, pk):
    """The viewer's answer (going, maybe, not going); htmx gets the page's live event."""
    event = policies.access_event(request.user, pk)
    shown = shown_occurrence(event, request.GET.get("occurrence", ""))
    response = request.POST.get("response", "")
    return run_write(
        request,
        lambda: services.rsvp(actor=request.user, event=event, response=response),
        topic=event_topic(event.pk),
        page_url=event_url(event, shown),
        forbidden="Only the people invited answer an invitation.",
    )


@require_POST
def event_cancel(request, pk):
    """Cancel the event, or (of a series) this occurrence or this and the following ones."""
    event = policies.access_event(request.user, pk)
    if not policies.can_edit_event(request.user, event):
        raise PermissionDenied("Only the organizer (or an admin) can cancel this event.")
    shown = shown_occurrence(event, request.GET.get("occurrence", ""))
    scope = request.POST.get("scope", "this") if shown.in_series else "all"
    try:
        series = services.cancel_event(
            actor=request.user, event=event, occurrence=shown.occurrence, scope=scope
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return go_to(request, event_url(event, shown))
    what = {"this": "This occurrence is", "following": "These occurrences are"}.get(
        scope if shown.in_series else "", "The event is"
    )
    messages.success(request, f"{what} cancelled. Everyone invited has been told.")
    return go_to(request, event_url(series))


def go_to(request, url: str) -> HttpResponse:
    """A redirect; for htmx, one it follows with a full page load."""
    if request.htmx:
        return HttpResponse(headers={"HX-Redirect": url})
    return redirect(url)
