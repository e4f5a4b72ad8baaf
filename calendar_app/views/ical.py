"""iCalendar: the private subscription feed, .ics downloads, and the subscribe/import page.

The feed URL carries its secret token and is read by calendar apps (Google,
Outlook, Apple) without a session, so it is the one calendar view that opts
out of the login requirement; an unknown or revoked token is a 404. Every
other view here is the signed-in person's own.
"""

import hashlib

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response, quote_etag
from django.utils.text import slugify
from django.views.decorators.http import require_POST, require_safe

from calendar_app import feeds, ical, policies
from calendar_app.importing import MAX_IMPORT_BYTES, import_calendar
from calendar_app.models import CalendarFeed
from workspace.forms import call_service

CALENDAR_TYPE = "text/calendar; charset=utf-8"
PAGE = "calendar_app/feed.html"


# --- Files for calendar apps -----------------------------------------------------------------


def _ics_response(body: bytes, filename: str, *, attachment: bool) -> HttpResponse:
    response = HttpResponse(body, content_type=CALENDAR_TYPE)
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


@login_not_required
@require_safe
def feed(request, token):
    """A person's calendar for calendar apps (404 for unknown or revoked links).

    Private to its link: kept out of shared caches and search engines; an
    ETag lets an app that polls an unchanged calendar get a 304.
    """
    subscription = feeds.find_feed(token)
    if subscription is None:
        raise Http404("No such calendar feed.")
    feeds.note_used(subscription)
    body = feeds.feed_calendar(subscription.user)
    response = _ics_response(body, "calendar.ics", attachment=False)
    etag = quote_etag(hashlib.sha256(body).hexdigest()[:32])
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return get_conditional_response(request, etag=etag, response=response)


def _download_calendar(viewer, event):
    """The event as the viewer may see it: its series (if they may) with its visible overrides."""
    series = event.series if event.series_id else event
    if series is not event and not policies.can_see_details(viewer, series):
        return ical.event_calendar(event)
    overrides, hidden = [], set()
    if series.is_recurring:
        for row in (
            series.overrides.live().select_related("organizer").prefetch_related("attendees__user")
        ):
            if policies.can_see_details(viewer, row):
                overrides.append(row)
            else:
                hidden.add(row.recurrence_id)
    return ical.event_calendar(series, overrides, hidden=hidden)


@require_safe
def event_ics(request, pk):
    """One event (with its repeats and changed occurrences) as an .ics file."""
    event = policies.access_event(request.user, pk)
    body = ical.to_bytes(_download_calendar(request.user, event))
    name = slugify(event.title)[:60] or "event"
    response = _ics_response(body, f"{name}.ics", attachment=True)
    response["Cache-Control"] = "private, no-cache"
    return response


@require_safe
def export(request):
    """The signed-in person's calendar as a file (what their feed serves)."""
    body = feeds.feed_calendar(request.user)
    response = _ics_response(body, "my-calendar.ics", attachment=True)
    response["Cache-Control"] = "private, no-cache"
    return response


# --- The subscribe / export / import page ---------------------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(
        label="iCalendar file (.ics)",
        help_text=f"Up to {MAX_IMPORT_BYTES // 1024 // 1024} MB. Exported from Google Calendar, "
        "Outlook, Apple Calendar or another Workspace.",
        widget=forms.FileInput(attrs={"accept": ".ics,text/calendar"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise ValidationError(
                f"“{upload.name}” is {upload.size / 1024 / 1024:.1f} MB; import files of up to "
                f"{MAX_IMPORT_BYTES // 1024 // 1024} MB (split a larger calendar by year)."
            )
        return upload


def _feed_of(user) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


def _feed_links(request, token: str) -> dict:
    link = request.build_absolute_uri(reverse("calendar:feed", args=[token]))
    webcal = "webcal://" + link.split("://", 1)[1]
    return {"link": link, "webcal": webcal}


def _page(request, *, partial: str = "", status: int = 200, **context):
    context = {"feed": _feed_of(request.user), "form": ImportForm(), **context}
    template = f"{PAGE}#{partial}" if partial and request.htmx else PAGE
    return render(request, template, context, status=status)


@require_safe
def subscribe(request):
    return _page(request)


@require_POST
def feed_create(request):
    """Make (or replace) the person's subscription link and show it, this once."""
    token = feeds.create_feed(actor=request.user)
    return _page(request, partial="feed-card", new_link=_feed_links(request, token))


@require_POST
def feed_revoke(request):
    had_one = feeds.revoke_feed(actor=request.user)
    text = (
        "Subscription link turned off. Calendar apps subscribed to it get nothing more."
        if had_one
        else "You had no subscription link."
    )
    if request.htmx:
        return _page(request, partial="feed-card", notice=text)
    messages.success(request, text)
    return redirect("calendar:subscribe")


def import_ics(request):
    """Upload an .ics: its events join the person's calendar, or nothing does."""
    if request.method != "POST":
        return redirect("calendar:subscribe")
    form = ImportForm(request.POST, request.FILES)
    result = None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        result = call_service(
            form,
            lambda: import_calendar(
                actor=request.user, data=upload.read(MAX_IMPORT_BYTES + 1), filename=upload.name
            ),
        )
    if result is None:
        return _page(request, partial="import-card", status=422, form=form)
    return _page(request, partial="import-card", result=result)
