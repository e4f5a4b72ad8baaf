"""The deal page, opening a deal, and closing one (win, lose) or deleting it."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from records import events, policies, services
from records.deal_forms import DealForm, LoseForm
from records.selectors import deals as selectors
from records.views.create import refusal_as_error
from workspace.forms import call_service
from workspace.htmx import live_reply, refused


def deal_detail(request, pk):
    deal = policies.access_deal(request.user, pk)
    context = {
        "deal": deal,
        "stages": selectors.stages_of(deal.pipeline_id),
        "history": selectors.stage_history(deal),
        "can_edit": policies.can_edit_deal(request.user, deal),
        "can_manage": policies.can_manage_deal(request.user, deal),
        "deal_topic": events.deal_topic(deal.pk),
    }
    return render(request, "records/deal_detail.html", context)


def deal_new(request):
    client = None
    if request.GET.get("client"):
        client = policies.access_client(request.user, request.GET["client"])
    if request.GET.get("pipeline"):
        pipeline = policies.access_pipeline(request.user, request.GET["pipeline"])
    else:
        pipeline = default_pipeline_or_404()
    form = DealForm(request.POST or None, pipeline=pipeline, client=client)
    if request.method == "POST" and form.is_valid():
        create = refusal_as_error(
            lambda: services.create_deal(actor=request.user, pipeline=pipeline, **form.cleaned_data)
        )
        deal = call_service(form, create)
        if deal:
            messages.success(request, f"Deal “{deal}” opened.")
            return redirect("records:deal_detail", pk=deal.pk)
    return render(
        request, "records/deal_form.html", {"form": form, "client": client, "pipeline": pipeline}
    )


def default_pipeline_or_404():
    try:
        return services.default_pipeline()
    except ValidationError as error:
        raise Http404(error.messages[0]) from None


# --- Closing and deleting ----------------------------------------------------------


@require_POST
def deal_win(request, pk):
    deal = policies.access_deal(request.user, pk)
    try:
        deal = services.win_deal(
            actor=request.user, deal=deal, seen_stage=request.POST.get("seen_stage")
        )
    except (PermissionDenied, ValidationError) as error:
        return refused(request, reason(error), refusal_status(error), page_url=deal_url(deal))
    return deal_reply(request, deal, trigger=CLOSED_TRIGGER)


def deal_lose(request, pk):
    """GET: the loss-reason form (a dialog's body for htmx; ``?seen_stage=`` the stage
    the page shows), without errors; POST: lose the deal, or the form with what to fix."""
    deal = policies.access_deal(request.user, pk)
    form = LoseForm(request.POST or None, initial={"seen_stage": request.GET.get("seen_stage")})
    if request.method == "POST" and form.is_valid():
        lost = call_service(form, refusal_as_error(lambda: _lose(request, deal, form)))
        if lost:
            return deal_reply(request, lost, trigger=CLOSED_TRIGGER)
    template = "records/deal_lose.html#lose-form" if request.htmx else "records/deal_lose.html"
    return render(request, template, {"deal": deal, "form": form})


def _lose(request, deal, form):
    """Lose the deal; if someone moved it first, the redrawn form says so and takes
    its stage as the seen one, so submitting again loses it anyway."""
    try:
        return services.lose_deal(actor=request.user, deal=deal, **form.cleaned_data)
    except services.FieldConflict as conflict:
        form.rebase(conflict.current)
        raise


@require_POST
def deal_delete(request, pk):
    """Delete a deal; one not theirs to delete is a 403 with the reason, not a redirect."""
    deal = policies.access_deal(request.user, pk)
    try:
        services.delete_deal(actor=request.user, deal=deal)
    except (PermissionDenied, ValidationError) as error:
        return refused(request, reason(error), refusal_status(error), page_url=deal_url(deal))
    messages.success(request, f"Deal “{deal}” deleted.")
    return redirect("records:pipeline_board", pk=deal.pipeline_id)


# --- Answers shared with the board ---------------------------------------------------

CLOSED_TRIGGER = "deal-closed"


def deal_url(deal) -> str:
    return reverse("records:deal_detail", args=[deal.pk])


def reason(error) -> str:
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


def refusal_status(error) -> int:
    """403: no right; 409: someone moved the deal first (nothing saved); 422: bad input."""
    if isinstance(error, PermissionDenied):
        return 403
    return 409 if isinstance(error, services.FieldConflict) else 422


def deal_reply(request, deal, trigger: str | None = None) -> HttpResponse:
    """htmx and board requests get the fragment of the event the write published
    (live.js applies it like the socket's copy); plain form posts go back to the deal page."""
    if not request.htmx:
        return redirect("records:deal_detail", pk=deal.pk)
    return live_reply(request, topic=events.deal_topic(deal.pk), trigger=trigger)
