"""The app shell's own pages: home (cards from the apps), global search (their groups)."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from workspace import home as home_cards
from workspace import search as global_search

SEARCH_MENU_PER_GROUP = 4


def home(request):
    context = {
        "main_cards": home_cards.cards(request, home_cards.MAIN),
        "side_cards": home_cards.cards(request, home_cards.SIDE),
    }
    return render(request, "workspace/home.html", context)


def search(request):
    """Global search, grouped by kind. As the person types, htmx asks for the results
    region alone (the search page's box) or a short dropdown (the top bar's box)."""
    query = global_search.clean_query(request.GET.get("q", ""))
    in_menu = request.htmx and request.htmx.target == "topbar-search-results"
    limit = SEARCH_MENU_PER_GROUP if in_menu else global_search.PER_GROUP
    groups = global_search.search_everything(request.user, query, limit=limit)
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


@login_not_required
def health(request):
    """For load balancers and the run script: the process answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
