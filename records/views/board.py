"""The kanban board of a pipeline: columns of deal cards, drag and drop, live moves.

Moves come from board.js (drag and drop or a card's "Move to…" menu) as a
POST of stage + position + the stage the mover saw the card in (``seen_stage``).
A move answers with the live event's fragment (the tab applies it like the
socket's copy) or with a readable reason and a 4xx, on which the card snaps
back. Dropping into Lost without a reason answers with the loss-reason form
instead. A move based on a stage the deal has left meanwhile answers 409 with
the card as it is now and, in it, who moved it where, with "Move anyway" /
"Keep theirs" (``_conflict``).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from records import fragments, policies, services
from records.deal_forms import LoseForm
from records.models import Deal, Stage
from records.selectors import deals as selectors
from records.services.deals import MoveConflict
from records.views.deals import (
    deal_reply,
    default_pipeline_or_404,
    reason,
)
from workspace.htmx import reason_response
from workspace.live.templatetags.live import live_since

OWNER_MINE = "me"


def board(request):
    return _render_board(request, default_pipeline_or_404())


def pipeline_board(request, pk):
    return _render_board(request, policies.access_pipeline(request.user, pk))


def _owner_filter(request) -> tuple[str, int | None]:
    """The board's owner filter: ("", None) for all, ("me", my id) or (str(pk), pk)."""
    value = request.GET.get("owner", "")
    if value == OWNER_MINE:
        return value, request.user.pk
    if value.isdigit():
        return value, int(value)
    return "", None


def _render_board(request, pipeline):
    if not policies.can_view(request.user):
        raise Http404("No such pipeline.")
    owner, owner_id = _owner_filter(request)
    columns = selectors.board_columns(pipeline, owner_id)
    context = {
        "pipeline": pipeline,
        "pipelines": selectors.board_pipelines(),
        "columns": columns,
        "owner": owner,
        "owner_id": owner_id,
        "owners": selectors.deal_owners(),
        "recent_days": selectors.RECENT_CLOSED_DAYS,
    }
    if request.htmx and request.htmx.target == "board":
        return render(request, "records/board.html#board", context)
    return render(request, "records/board.html", context)


@require_GET
def column_more(request, pk):
    """The next cards of one column, and its "show more" button redrawn (or gone)."""
    if not policies.can_view(request.user):
        raise Http404("No such stage.")
    stage = _stage(pk)
    owner, owner_id = _owner_filter(request)
    offset = _int(request.GET.get("offset"), default=0)
    cards = selectors.column_cards(stage, owner_id, offset)
    totals = selectors.totals(stage.pipeline_id, [stage.pk], (owner_id,) if owner_id else ())
    context = {
        "stage": stage,
        "cards": cards,
        "owner": owner,
        "next_offset": offset + len(cards),
        "more": max(totals[stage.pk, owner_id].count - offset - len(cards), 0),
    }
    return render(request, "records/board.html#more-cards", context)


def _stage(pk) -> Stage:
    try:
        return Stage.objects.get(pk=pk)
    except Stage.DoesNotExist:
        raise Http404("No such stage.") from None


def _int(value, default: int) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return default


@require_POST
def deal_move(request, pk):
    """Move a card: 200 with the live fragment, or 4xx with a reason the board shows."""
    try:
        deal = policies.access_deal(request.user, pk)
    except Http404:
        return reason_response("This deal no longer exists: someone deleted it.", status=404)
    try:
        moved = services.move_deal(
            actor=request.user,
            deal=deal,
            stage=request.POST.get("stage"),
            position=_position(request.POST.get("position")),
            loss_reason=request.POST.get("loss_reason") or None,
            loss_note=request.POST.get("loss_note", ""),
            seen_stage=request.POST.get("seen_stage"),
        )
    except MoveConflict as conflict:
        return _conflict(request, deal, conflict)
    except PermissionDenied as error:
        return reason_response(reason(error) or "You cannot move this deal.", status=403)
    except ValidationError as error:
        if "loss_reason" in getattr(error, "error_dict", {}):
            return _lose_form(request, deal)
        return reason_response(reason(error), status=422)
    return deal_reply(request, moved)


POSITION_LIMIT = 10**9  # fits every database's integer column


def _position(value) -> int | None:
    try:
        return max(-POSITION_LIMIT, min(int(value), POSITION_LIMIT))
    except (TypeError, ValueError):
        return None


def _lose_form(request, deal) -> HttpResponse:
    """Lost needs a reason: answer with the reasons form (board.js shows it in a dialog).

    A drop into Lost asks for the reason: the form is fresh, with no error yet
    (it remembers the stage the mover saw). Only a move that did send a reason
    field, left empty, gets the form back with "pick a reason".
    """
    if "loss_reason" in request.POST:
        form = LoseForm(request.POST)
        form.is_valid()
    else:
        form = LoseForm(initial={"seen_stage": request.POST.get("seen_stage", "")})
    response = render(
        request, "records/deal_lose.html#lose-form", {"deal": deal, "form": form}, status=422
    )
    response["X-Deal-Needs"] = "loss-reason"
    return response


def _conflict(request, deal, conflict: MoveConflict) -> HttpResponse:
    """A move refused because someone moved the deal first (409, nothing saved).

    The board gets the card as it is now with the conflict in it; elsewhere (the
    deal page's stage bar) the reason is the answer and live events redraw the bar.
    """
    if not (request.htmx and request.htmx.target == "board"):
        return reason_response(reason(conflict), status=409)
    html, drawn = _card_now(deal.pk)
    context = {"deal_id": deal.pk, "conflict": conflict}
    html += render(request, "records/board.html#card-conflict", context).content.decode()
    response = HttpResponse(html, status=409)
    response["X-Live-Event"] = str(drawn)
    return response


def _card_now(deal_id: int) -> tuple[str, int]:
    """The deal's live fragment as it is now (its card, column totals…), and the event
    log's end it is drawn at.

    Read with the deal locked, so no write to it is half done: every event about it
    up to that id is in the drawing, any later one redraws it, and a late or
    replayed older one leaves it alone (live.js: an element last drawn by a newer
    event is left alone), so the board ends where the server is.
    """
    with transaction.atomic():
        Deal.objects.select_for_update().filter(pk=deal_id).first()  # waits for its writers
        drawn = live_since()
        return fragments.render("deal.moved", {"id": deal_id}) or "", drawn
