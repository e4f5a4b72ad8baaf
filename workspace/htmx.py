"""Answering htmx writes, for every app's views: the live event the write published
(``X-Live-Event``), or the reason it was refused.

live.js applies such a response exactly like the socket's copy of the event
(by element id, idempotently), so the writer sees the result at once even with
the socket down, and whichever copy comes second changes nothing. The event is
the one this request published (``request.live_events``, workspace/live/
middleware.py), never a colleague's concurrent one; a write that changed
nothing answers only ``html``.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect

from workspace.errors import Conflict


def live_reply(request, html: str = "", *, topic: str, trigger: str | None = None):
    """``html`` (e.g. a fresh form, out of band) plus the fragment of the first event
    this request published on ``topic``; ``trigger`` names an HX-Trigger event."""
    event = next((e for e in request.live_events if e.topic == topic), None)
    response = HttpResponse(html + (event.html if event else ""))
    if event is not None:
        response["X-Live-Event"] = str(event.id)
    if trigger:
        response["HX-Trigger"] = trigger
    return response


def reason_response(message: str, status: int) -> HttpResponse:
    """A refusal's reason as plain text, which the page's script shows (a toast)."""
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def refused(request, reason: str, status: int, *, page_url: str) -> HttpResponse:
    """A refused write: the reason for htmx; a 403 page or a message on ``page_url`` otherwise."""
    if request.htmx:
        return reason_response(reason, status)
    if status == 403:
        raise PermissionDenied(reason)
    messages.error(request, reason)
    return redirect(page_url)


def run_write(request, service, *, topic: str, page_url: str, forbidden: str) -> HttpResponse:
    """Run one write from a button: htmx gets the event it published, a plain post goes
    back to ``page_url``; a refusal answers 409 (conflict), 403 or 422 with its reason."""
    try:
        service()
    except Conflict as conflict:
        return refused(request, " ".join(conflict.messages), 409, page_url=page_url)
    except PermissionDenied as denied:
        return refused(request, str(denied) or forbidden, 403, page_url=page_url)
    except ValidationError as invalid:
        return refused(request, " ".join(invalid.messages), 422, page_url=page_url)
    if not request.htmx:
        return redirect(page_url)
    return live_reply(request, topic=topic)
