"""A client's upcoming meetings: the card on the client page, loaded after the page."""

from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from calendar_app import policies, selectors
from calendar_app.feed_items import event_pages, occurrence_url
from calendar_app.selectors import CalendarEntry
from records.policies import access_client

HORIZON = timedelta(days=90)
SHOWN = 5


@require_GET
def client_meetings(request, pk):
    """The next meetings linked to the client; a private one the viewer is not in shows
    only as “Private meeting” at its time, without title or link."""
    client = access_client(request.user, pk)
    now, pages = timezone.now(), event_pages()
    meetings = [
        {
            "occurrence": occurrence,
            "visible": policies.can_see_details(request.user, occurrence.event),
            "url": occurrence_url(CalendarEntry(occurrence), pages),
        }
        for occurrence in selectors.client_meetings(client, now, now + HORIZON, SHOWN)
    ]
    context = {"client": client, "meetings": meetings, "horizon_days": HORIZON.days}
    return render(request, "calendar_app/client_meetings.html", context)
