"""Segment pages: the list, the builder (live count and preview over htmx), freeze, delete.

Everyone on staff sees segments (read-only: the conditions in words, the count,
the first members); the marketing team and admins build them. The builder
re-renders itself when its shape changes (a field, an operator, a group or a
condition added or removed) and asks only for the count and preview when a
value changes; every request of the form goes through one ``hx-sync`` queue
that drops the older one, so the count on screen is always the latest state's.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketing import policies, segment_builder, segments
from marketing.models import Campaign, Segment
from marketing.services import segments as services

PER_PAGE = 25
PAGE = "marketing/segments/builder.html"


def _viewer(request) -> None:
    if not policies.can_view_marketing(request.user):
        raise PermissionDenied("Marketing is open to active staff only.")


def _manager(request) -> None:
    if not policies.can_manage_marketing(request.user):
        raise PermissionDenied("Only the marketing team and admins can change segments.")


@require_GET
def segment_list(request):
    """Every segment and the campaigns that use it; each row's members now come in their
    own request as the row shows (a count takes up to a few hundred ms on a big book)."""
    _viewer(request)
    campaigns = Campaign.objects.only("pk", "name", "status", "segment_id").order_by("-created_at")
    queryset = Segment.objects.prefetch_related(Prefetch("campaigns", queryset=campaigns))
    page = Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "can_manage": policies.can_manage_marketing(request.user)}
    return render(request, "marketing/segments/list.html", context)


@require_GET
def segment_members(request, pk: int):
    """One segment's clients and contacts now, for its row of the list (htmx)."""
    _viewer(request)
    segment = get_object_or_404(Segment, pk=pk)
    context = {"segment": segment, "count": segments.count_of(segment)}
    return render(request, "marketing/segments/list.html#figures", context)


def _live(builder: segment_builder.Builder) -> dict:
    """The count and first members of the builder's finished conditions, or why not."""
    context = {"unfinished": builder.unfinished}
    try:
        definition = segments.validate_definition(
            builder.definition(finished_only=True), builder.fields
        )
    except ValidationError as error:
        return {**context, "errors": error.messages}
    return {
        **context,
        "count": segments.count(definition, builder.fields),
        "preview": segments.preview(definition, builder.fields),
    }


def _page(request, *, segment, builder, form=None, errors=None, status=200):
    form = form or {
        "name": segment.name if segment else "",
        "description": segment.description if segment else "",
    }
    context = {
        "segment": segment,
        "builder": builder,
        "form": form,
        "errors": errors or {},
        "can_manage": policies.can_manage_marketing(request.user),
        "live": _live(builder),
    }
    return render(request, PAGE, context, status=status)


@require_http_methods(["GET", "POST"])
def segment_new(request):
    _manager(request)
    if request.method == "POST":
        return _save(request, None)
    return _page(request, segment=None, builder=segment_builder.from_definition({}))


@require_http_methods(["GET", "POST"])
def segment_detail(request, pk: int):
    _viewer(request)
    segment = get_object_or_404(Segment.objects.select_related("frozen_from", "created_by"), pk=pk)
    if request.method == "POST":
        _manager(request)
        return _save(request, segment)
    if segment.is_static or not policies.can_manage_marketing(request.user):
        return _read_only(request, segment)
    return _page(
        request, segment=segment, builder=segment_builder.from_definition(segment.definition)
    )


def _read_only(request, segment: Segment, *, form=None, errors=None, status=200):
    """The conditions in words, the count and first members; a static list's name form."""
    context = {
        "segment": segment,
        "described": segments.describe(segment.definition),
        "count": segments.count_of(segment),
        "preview": segments.preview_of(segment),
        "campaigns": segment.campaigns.order_by("-created_at"),
        "can_manage": policies.can_manage_marketing(request.user),
        "form": form or {"name": segment.name, "description": segment.description},
        "errors": errors or {},
    }
    return render(request, "marketing/segments/detail.html", context, status=status)


def _save(request, segment: Segment | None):
    """Save (or, with ``save-new``, save as a new segment) the posted builder."""
    form = {
        "name": request.POST.get("name", ""),
        "description": request.POST.get("description", ""),
    }
    as_new = segment is None or request.POST.get("submit") == "save-new"
    try:
        if segment is not None and segment.is_static:
            saved = services.update_segment(actor=request.user, segment=segment, **form)
        elif as_new:
            builder = segment_builder.from_post(request.POST)
            saved = services.create_segment(
                actor=request.user, definition=builder.definition(), **form
            )
        else:
            builder = segment_builder.from_post(request.POST)
            saved = services.update_segment(
                actor=request.user, segment=segment, definition=builder.definition(), **form
            )
    except ValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else {"general": error.messages}
        if segment is not None and segment.is_static:
            return _read_only(request, segment, form=form, errors=errors, status=400)
        return _page(
            request, segment=segment, builder=builder, form=form, errors=errors, status=400
        )
    messages.success(request, f"Saved “{saved.name}”.")
    return redirect("marketing:segment_detail", saved.pk)


@require_POST
def segment_builder_view(request):
    """The builder re-drawn after a change of shape, with the live panel (out of band)."""
    _viewer(request)
    builder = segment_builder.from_post(request.POST)
    context = {"builder": builder, "live": _live(builder)}
    return render(request, f"{PAGE}#builder-response", context)


@require_POST
def segment_count(request):
    """The live count and preview of the builder's current state."""
    _viewer(request)
    builder = segment_builder.from_post(request.POST)
    return render(request, f"{PAGE}#live", {"live": _live(builder)})


@require_POST
def segment_freeze(request, pk: int):
    _viewer(request)
    segment = get_object_or_404(Segment, pk=pk)
    try:
        frozen = services.freeze_segment(actor=request.user, segment=segment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("marketing:segment_detail", segment.pk)
    messages.success(request, f"Froze “{segment.name}” as the static list “{frozen.name}”.")
    return redirect("marketing:segment_detail", frozen.pk)


@require_POST
def segment_delete(request, pk: int):
    _viewer(request)
    segment = get_object_or_404(Segment, pk=pk)
    try:
        services.delete_segment(actor=request.user, segment=segment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("marketing:segment_detail", segment.pk)
    messages.success(request, f"Deleted “{segment.name}”.")
    return redirect("marketing:segment_list")
