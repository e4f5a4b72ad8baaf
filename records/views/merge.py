"""Merging a duplicate into this client: pick the other one, choose values, confirm.

``/clients/<pk>/merge/`` lists likely duplicates and a search box;
``?other=<pk>`` shows both clients side by side (this one survives, the other
is archived into it). A refused merge says why, and nothing is written.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render

from records import policies, services
from records.client_forms import MergeForm
from records.selectors import duplicates
from records.selectors.merge import merge_preview
from records.services.merge import check_mergeable
from records.views.create import refusal_as_error
from workspace.forms import call_service


def client_merge(request, pk: int):
    survivor = policies.access_client(request.user, pk)
    if not policies.can_manage_client(request.user, survivor):
        raise PermissionDenied(
            f"Only {survivor}'s owner, its department's managers and admins can merge it."
        )
    if not request.GET.get("other"):
        return _pick_other(request, survivor)
    loser = policies.access_client(request.user, request.GET["other"])
    try:
        check_mergeable(actor=request.user, survivor=survivor, loser=loser)
    except (PermissionDenied, ValidationError) as error:
        context = {"survivor": survivor, "loser": loser, "refusal": _reason(error)}
        status = 403 if isinstance(error, PermissionDenied) else 409
        return render(request, "records/merge.html", context, status=status)
    preview = merge_preview(survivor, loser)
    differing = [row for row in preview["rows"] if row.differs]
    form = MergeForm(request.POST or None, fields=[row.field for row in differing])
    for row in differing:
        row.chosen = form[row.field].value()
    if request.method == "POST" and form.is_valid():
        merge = refusal_as_error(
            lambda: services.merge_clients(
                actor=request.user, survivor=survivor, loser=loser, choices=form.cleaned_data
            )
        )
        if call_service(form, merge):
            messages.success(request, f"{loser} was merged into {survivor}.")
            return redirect("records:client_detail", pk=survivor.pk)
    context = {"survivor": survivor, "loser": loser, "form": form, **preview}
    return render(request, "records/merge.html", context)


def _pick_other(request, survivor):
    """Likely duplicates of ``survivor`` and, for htmx, matches of the search box."""
    query = request.GET.get("q", "")
    found = duplicates.client_search(query, exclude_pk=survivor.pk)
    context = {"survivor": survivor, "query": query, "found": found}
    if request.htmx and request.htmx.target == "merge-search-results":
        return render(request, "records/merge.html#search-results", context)
    context["hints"] = duplicates.client_duplicates(
        name=survivor.name, domain=survivor.domain, phone=survivor.phone, exclude_pk=survivor.pk
    )
    return render(request, "records/merge.html", context)


def _reason(error) -> str:
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
