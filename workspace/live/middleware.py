"""``request.live_events``: the live events the request's writes published, in order.

Views answering an htmx write with the fragment it published read them
(records/views/live_reply.py); live.js applies that answer like the socket's
copy of the event, so the writer sees the result even while reconnecting.
"""

from workspace.live.outbox import recording


def live_events(get_response):
    def middleware(request):
        with recording() as published:
            request.live_events = published
            return get_response(request)

    return middleware
