from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from accounts import policies, selectors

SEARCH_RESULTS_PER_PAGE = 20


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
    }
    return render(request, "workspace/home.html", context)


def search(request):
    query = request.GET.get("q", "").strip()
    people = selectors.people_matching(query) if query else selectors.people_matching("").none()
    page = Paginator(people.order_by("full_name"), SEARCH_RESULTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "workspace/search.html", {"query": query, "page": page})


@login_not_required
def health(request):
    """For load balancers and the run script: the process answers and reaches its database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
