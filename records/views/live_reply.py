"""Answering an htmx write with the live event it published (``X-Live-Event``).

live.js applies such a response exactly like the socket's copy of the event
(by element id, idempotently), so the writer sees the result at once even with
the socket down, and whichever copy comes second changes nothing. The event is
the one this request published (``request.live_events``, workspace/live/
middleware.py), never a colleague's concurrent one; a write that changed
nothing answers only ``html``.
"""

from django.http import HttpResponse


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
