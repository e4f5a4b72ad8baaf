"""Searching messages: across every room the person may read, or in one (``?room=``)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from chat import policies
from chat.search import clean_query, search_page
from chat.selectors import room_title

TEMPLATE = "chat/search.html"


@require_GET
def search(request):
    """Results newest first, paginated; a room the person may not see is one 404, like a
    missing one. As the person types, htmx asks for the results region alone."""
    query = clean_query(request.GET.get("q"))
    wanted = request.GET.get("room")
    room = policies.access_room(request.user, wanted) if wanted else None
    context = {
        "query": query,
        "room": room,
        "room_name": room_title(room, request.user) if room else "",
        "page": search_page(request.user, query, room=room, page=request.GET.get("page"))
        if query
        else None,
    }
    if request.htmx and request.htmx.target == "chat-search-results":
        return render(request, f"{TEMPLATE}#results", context)
    return render(request, TEMPLATE, context)
