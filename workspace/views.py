from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from accounts import policies, selectors
from calendar_app.search import first_hits as first_events
from chat.search import first_hits as first_messages
from records.selectors.home import my_work
from records.selectors.search import MAX_QUERY_LENGTH as MAX_SEARCH_LENGTH
from records.selectors.search import PER_GROUP as SEARCH_PER_GROUP
from records.selectors.search import Group, search_everything

SEARCH_MENU_PER_GROUP = 4


def home(request):
    user = request.user
    context = {
        "my_departments": selectors.departments_with_headcount().filter(members=user),
        "pending_invitations": (
            policies.visible_invitations(user).pending().count()
            if policies.can_invite(user)
            else None
        ),
        "teammates": selectors.people_matching("")
        .filter(departments__in=user.departments.all())
        .exclude(pk=user.pk)
        .distinct()[:8],
        "my_work": my_work(user),
    }
    return render(request, "workspace/home.html", context)


def search(request):
    """Global search, grouped by kind. As the person types, htmx asks for the results
    region alone (the search page's box) or a short dropdown (the top bar's box)."""
    query = " ".join(request.GET.get("q", "").split())[:MAX_SEARCH_LENGTH]
    in_menu = request.htmx and request.htmx.target == "topbar-search-results"
    limit = SEARCH_MENU_PER_GROUP if in_menu else SEARCH_PER_GROUP
    groups = search_everything(query, limit=limit) if query else []
    if groups:  # the query has words to search for
        groups.append(_messages_group(request.user, query, limit))
        groups.append(_events_group(request.user, query, limit))
    context = {
        "query": query,
        "groups": groups,
        "results": {group.name: group for group in groups},
        "total": sum(len(group) for group in groups),
        "more": any(group.has_more for group in groups),
    }
    if in_menu:
        return render(request, "workspace/search.html#search-menu", context)
    if request.htmx and request.htmx.target == "search-results":
        return render(request, "workspace/search.html#search-results", context)
    return render(request, "workspace/search.html", context)


def _messages_group(user, query: str, limit: int) -> Group:
    """Messages in the rooms ``user`` may read (never others' private rooms or DMs)."""
    found, more = first_messages(user, query, limit)
    return Group("messages", "Messages", "chat-dots", "chat:search", found, more)


def _events_group(user, query: str, limit: int) -> Group:
    """Events whose details ``user`` may see (never others' private events), upcoming first.

    No page lists every match, so the group has no "see all" link.
    """
    found, more = first_events(user, query, limit)
    return Group("events", "Events", "calendar-event", "", found, more)


@login_not_required
def health(request):
    """For load balancers and the run script: the process answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
