"""The four list pages (clients, contacts, deals, tickets) and saved views.

One view serves every list from its declaration (records/selectors/lists.py).
Filters live in the query string, so a filtered list is a shareable URL; htmx
requests aimed at the results get the results alone (the filter form keeps
its state), everything else a full page.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from records import policies, services
from records.models import SavedView
from records.selectors import lists
from records.selectors.lists import LISTS, ListSpec, ListState
from records.services.views import clean_view_query

RESULTS_ID = "list-results"


def list_page(spec: ListSpec):
    """The page of one list: full page, or its results for htmx requests aimed at them."""

    def view(request):
        if not policies.can_view(request.user):
            raise PermissionDenied("You cannot see records.")
        state = lists.read(spec, request.GET, request.user)
        context = _results_context(request, state)
        if request.htmx and request.htmx.target == RESULTS_ID:
            response = render(request, "records/list.html#results-response", context)
            # The address bar gets the clean query, not every empty field of the form.
            query = state.page_query(context["page"].number)
            response["HX-Push-Url"] = context["url"] + (f"?{query}" if query else "")
            return response
        context["filters"] = lists.bound_filters(state)
        if request.htmx and request.htmx.history_restore_request:
            context["base_template"] = "base.html"  # htmx swaps the whole body back
        return render(request, "records/list.html", context)

    view.__name__ = f"{spec.noun}_list"
    return view


def _results_context(request, state: ListState) -> dict:
    page = Paginator(lists.page_rows(state, request.user), lists.PER_PAGE).get_page(
        request.GET.get(lists.PAGE_KEY)
    )
    return {
        "spec": state.spec,
        "state": state,
        "page": page,
        "page_links": _page_links(state, page),
        "url": reverse(state.spec.url_name),
        **_saved_views_context(request.user, state.spec, state.query_string()),
    }


def _page_links(state: ListState, page) -> list[dict]:
    """Previous, the page numbers around this one ("…" for gaps), next.

    ``query`` is None where there is nothing to link to.
    """
    paginator = page.paginator

    def number_link(number):
        if number == paginator.ELLIPSIS:
            return {"label": number, "query": None}
        return {
            "label": number,
            "query": state.page_query(number),
            "current": number == page.number,
        }

    def arrow(icon, text, number):
        return {
            "icon": icon,
            "arrow": text,
            "query": state.page_query(number) if number else None,
        }

    numbers = paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
    previous = page.previous_page_number() if page.has_previous() else None
    following = page.next_page_number() if page.has_next() else None
    return [
        arrow("chevron-left", "Previous page", previous),
        *map(number_link, numbers),
        arrow("chevron-right", "Next page", following),
    ]


def _saved_views_context(user, spec: ListSpec, query: str, error: str = "") -> dict:
    """My views and the built-in suggestions of ``spec``; the one matching ``query`` is active."""
    current = clean_view_query(spec.name, query)
    mine = list(SavedView.objects.filter(owner=user, list=spec.name).order_by("name"))
    suggestions = [
        {"name": name, "query": clean_view_query(spec.name, suggested)}
        for name, suggested in spec.suggestions
    ]
    return {
        "saved_views": mine,
        "suggestions": suggestions,
        "current_view_query": current,
        "saved_view_error": error,
    }


# --- Saved views ---------------------------------------------------------------


@require_POST
def saved_view_create(request, list_name):
    spec = _spec(list_name)
    query = request.POST.get("query", "")
    error = ""
    try:
        view = services.save_view(
            actor=request.user,
            list_name=spec.name,
            name=request.POST.get("name", ""),
            query=query,
        )
        query = view.query
    except ValidationError as refused:
        error = " ".join(refused.messages)
    return _saved_views_reply(request, spec, query, error, saved=not error)


@require_POST
def saved_view_delete(request, pk):
    view = _own_view(request.user, pk)
    spec = LISTS[view.list]
    services.delete_view(actor=request.user, view=view)
    return _saved_views_reply(request, spec, request.POST.get("query", ""), "", saved=False)


def _own_view(user, pk) -> SavedView:
    """One of the person's own saved views; someone else's is as missing as a deleted one."""
    try:
        return SavedView.objects.get(pk=pk, owner=user)
    except (SavedView.DoesNotExist, ValueError):
        raise Http404("No such saved view.") from None


def _spec(list_name: str) -> ListSpec:
    try:
        return LISTS[list_name]
    except KeyError:
        raise Http404("No such list.") from None


def _saved_views_reply(request, spec: ListSpec, query: str, error: str, *, saved: bool):
    """htmx: the saved-views bar redrawn in place; a plain form: back to the list."""
    if request.htmx:
        context = {"spec": spec, **_saved_views_context(request.user, spec, query, error)}
        return render(request, "records/list.html#saved-views", context)
    if error:
        messages.error(request, error)
    elif saved:
        messages.success(request, "View saved.")
    clean = clean_view_query(spec.name, query)
    return redirect(reverse(spec.url_name) + (f"?{clean}" if clean else ""))


client_list = list_page(lists.CLIENTS)
contact_list = list_page(lists.CONTACTS)
deal_list = list_page(lists.DEALS)
ticket_list = list_page(lists.TICKETS)
