"""Deals on pipelines: open, move between stages, win, lose, delete.

A won deal is also told in its client's chat room ("Deal X won by Ana — €12,000").
A move carries the stage the mover saw: moves never overwrite each other silently
(:class:`MoveConflict`, like field edits' :class:`FieldConflict`, DESIGN §5).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from accounts.models import User
from records import events, policies
from records.models import (
    Client,
    Deal,
    LossReason,
    Pipeline,
    Stage,
    TimelineEntry,
)
from records.services.base import (
    FieldConflict,
    _audit,
    _lock,
    _normalize,
    _require,
    _topics,
    last_change,
)
from records.services.chat_lines import literal, tell_client_room
from records.services.counts import recount_open_work
from records.timeline import add_entry

# Amounts in a chat line: "€12,000"; other currencies by their code ("12,000 CHF").
CURRENCY_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£"}

# --- Deals ---------------------------------------------------------------------


class MoveConflict(FieldConflict):
    """Someone moved the deal since the mover saw it; nothing was saved.

    A field conflict of ``stage`` (so whatever answers field conflicts answers
    this one, with a 409), worded as a move: ``current`` is the pk of the stage
    the deal is in now, ``current_display`` its name, ``changed_by`` and
    ``changed_at`` who moved it there and when (from the audit); ``wanted`` is
    the stage the refused move was taking it to.
    """

    def __init__(self, *, deal: Deal, wanted: Stage):
        super().__init__(
            field="stage",
            label="Stage",
            current=deal.stage_id,
            current_display=deal.stage.name,
            change=last_change(deal, "stage"),
        )
        self.wanted = wanted
        who = str(self.changed_by) if self.changed_by else "Someone"
        self.message = (
            f"{who} moved this deal to {deal.stage.name} while you were moving it to "
            f"{wanted.name}. Your move was not saved; move it again to replace theirs."
        )


def default_pipeline() -> Pipeline:
    pipeline = Pipeline.objects.filter(is_default=True).first() or Pipeline.objects.first()
    if pipeline is None:
        raise ValidationError("There is no pipeline yet; ask an admin to create one.")
    return pipeline


def _resolve_stage(pipeline: Pipeline, stage) -> Stage:
    pk = stage.pk if isinstance(stage, Stage) else stage
    try:
        return Stage.objects.get(pk=int(pk), pipeline=pipeline)
    except (Stage.DoesNotExist, TypeError, ValueError):
        raise ValidationError(
            {"stage": f"That stage does not exist in the {pipeline} pipeline."}, code="stage"
        ) from None


def create_deal(
    *,
    actor: User,
    client: Client,
    title: str,
    amount=Decimal(0),
    currency: str | None = None,
    pipeline: Pipeline | None = None,
    stage=None,
    owner: User | None = None,
    expected_close=None,
) -> Deal:
    """Open a deal in an open stage (default: the first) of ``pipeline`` (default: the default)."""
    _require(policies.can_create_deal(actor, client), "You cannot add deals to this client.")
    owner = owner or actor
    if owner.pk != actor.pk:
        _require(
            actor.is_admin or policies.manages_department(actor, client.department_id),
            "Only admins and the department's managers can give a deal to someone else.",
        )
    if not owner.is_active:
        raise ValidationError({"owner": "Pick an active member of staff."})
    pipeline = pipeline or default_pipeline()
    if stage is None:
        stage = pipeline.stages.filter(is_won=False, is_lost=False).first()
        if stage is None:
            raise ValidationError(f"The {pipeline} pipeline has no open stage.")
    else:
        stage = _resolve_stage(pipeline, stage)
    if stage.is_closed:
        raise ValidationError(
            {"stage": "A new deal starts in an open stage; win or lose it later."}
        )
    with transaction.atomic():
        client = _lock(client)
        top = Deal.objects.filter(stage=stage).aggregate(top=Min("position"))["top"]
        deal = Deal(
            client=client,
            title=title,
            amount=_normalize(Deal, "amount", amount),
            currency=currency or Deal._meta.get_field("currency").default,
            pipeline=pipeline,
            stage=stage,
            owner=owner,
            expected_close=_normalize(Deal, "expected_close", expected_close),
            position=(top or 0) - 1,
            created_by=actor,
        )
        deal.full_clean()
        deal.save()
        recount_open_work([client.pk])
        entry = add_entry(
            actor=actor,
            client_id=client.pk,
            kind=TimelineEntry.Kind.DEAL,
            summary=f"{actor} opened deal {deal} ({deal.amount} {deal.currency}) in {stage}",
            obj=deal,
        )
        events.publish(
            _topics(deal),
            "deal.created",
            {
                "id": deal.pk,
                "client": client.pk,
                "stage": stage.pk,
                "actor": actor.pk,
                "timeline": entry.pk,
            },
        )
    return deal


def move_deal(
    *,
    actor: User,
    deal: Deal,
    stage,
    position: int | None = None,
    loss_reason=None,
    loss_note: str = "",
    seen_stage=None,
) -> Deal:
    """Move a deal to ``stage`` (a Stage or its pk) of its pipeline, optionally to ``position``.

    A lost stage needs a ``loss_reason`` (a LossReason or its pk); a won or
    lost stage closes the deal, an open one reopens it. ``seen_stage`` is the
    stage the mover saw the deal in: if it was moved since, the move raises
    :class:`MoveConflict` (see ``_check_seen_stage``). Without it (old clients)
    the move applies as it comes.
    """
    with transaction.atomic():
        deal = _lock(deal)
        _require(policies.can_edit_deal(actor, deal), "You cannot move this deal.")
        stage = _resolve_stage(deal.pipeline, stage)
        _check_seen_stage(deal, stage, seen_stage)
        reason = None
        if stage.is_lost:
            reason = _resolve_loss_reason(loss_reason)
        old_stage = deal.stage
        unmoved = stage.pk == old_stage.pk and position in (None, deal.position)
        if unmoved and (not stage.is_lost or reason.pk == deal.loss_reason_id):
            return deal
        deal.stage = stage
        deal.loss_reason = reason
        deal.loss_note = loss_note.strip() if stage.is_lost else ""
        if position is not None:
            deal.position = int(position)
        elif stage.pk != old_stage.pk:
            top = Deal.objects.filter(stage=stage).aggregate(top=Min("position"))["top"]
            deal.position = (top or 0) - 1
        was_closed = old_stage.is_closed
        if stage.is_closed and not (was_closed and old_stage.is_won == stage.is_won):
            deal.closed_at = timezone.now()
        elif not stage.is_closed:
            deal.closed_at = None
        deal.updated_at = timezone.now()
        old_status = deal.status
        deal.full_clean()
        deal.save()
        if deal.status != old_status:
            recount_open_work([deal.client_id])
        payload = {
            "id": deal.pk,
            "from_stage": old_stage.pk,
            "stage": stage.pk,
            "status": deal.status,
            "position": deal.position,
            "actor": actor.pk,
        }
        if stage.pk != old_stage.pk:
            change = _audit(actor=actor, obj=deal, field="stage", old=old_stage.pk, new=stage.pk)
            entry = add_entry(
                actor=actor,
                client_id=deal.client_id,
                kind=TimelineEntry.Kind.DEAL,
                summary=deal_move_summary(actor, deal, old_stage, stage, reason),
                obj=deal,
                data={"change": change.pk, "status": deal.status},
            )
            payload |= {"change": change.pk, "timeline": entry.pk}
        kind = {"won": "deal.won", "lost": "deal.lost"}.get(deal.status, "deal.moved")
        events.publish(_topics(deal), kind, payload)
        if stage.is_won and not old_stage.is_won:
            tell_client_room(
                deal.client,
                literal(f"Deal {deal} won by {actor} — {money_text(deal.amount, deal.currency)}"),
            )
    return deal


def _check_seen_stage(deal: Deal, stage: Stage, seen_stage) -> None:
    """Refuse a move to ``stage`` based on a stage the deal has left meanwhile.

    Landing where the deal already is (a reorder in its column, a second drop
    into Won) is no conflict; a second drop into Lost is, as it would replace
    the other person's loss reason.
    """
    if seen_stage in (None, ""):
        return
    try:
        seen = _resolve_stage(deal.pipeline, seen_stage)
    except ValidationError:
        raise ValidationError(
            f"The stage you saw this deal in is not one of the {deal.pipeline} pipeline's; "
            "reload the page.",
            code="seen_stage",
        ) from None
    if seen.pk != deal.stage_id and (stage.pk != deal.stage_id or stage.is_lost):
        raise MoveConflict(deal=deal, wanted=stage)


def money_text(amount: Decimal, currency: str) -> str:
    """An amount as people read it (chat lines): ``12000, "EUR"`` → ``€12,000``; cents only
    when there are some; currencies without a sign by their code (``12,000 CHF``)."""
    number = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    sign = CURRENCY_SIGNS.get(currency)
    return f"{sign}{number}" if sign else f"{number} {currency}"


def _resolve_loss_reason(loss_reason) -> LossReason:
    if loss_reason in (None, ""):
        raise ValidationError(
            {"loss_reason": "Say why the deal was lost: pick a reason."}, code="loss_reason"
        )
    pk = loss_reason.pk if isinstance(loss_reason, LossReason) else loss_reason
    try:
        return LossReason.objects.get(pk=int(pk), active=True)
    except (LossReason.DoesNotExist, TypeError, ValueError):
        raise ValidationError({"loss_reason": "Pick one of the listed loss reasons."}) from None


def deal_move_summary(actor, deal, old_stage, stage, reason) -> str:
    """The timeline's words for a deal moved from ``old_stage`` to ``stage`` (won, lost for
    ``reason``, or moved)."""
    if stage.is_won:
        return f"{actor} won deal {deal} ({deal.amount} {deal.currency})"
    if stage.is_lost:
        return f"{actor} lost deal {deal}: {reason}"
    return f"{actor} moved deal {deal} from {old_stage} to {stage}"


def win_deal(*, actor: User, deal: Deal, seen_stage=None) -> Deal:
    """Move ``deal`` to its pipeline's won stage (``seen_stage``: as for ``move_deal``)."""
    stage = deal.pipeline.stages.filter(is_won=True).first()
    if stage is None:
        raise ValidationError(f"The {deal.pipeline} pipeline has no won stage.")
    return move_deal(actor=actor, deal=deal, stage=stage, seen_stage=seen_stage)


def lose_deal(
    *, actor: User, deal: Deal, loss_reason, loss_note: str = "", seen_stage=None
) -> Deal:
    """Move ``deal`` to its pipeline's lost stage (``seen_stage``: as for ``move_deal``)."""
    stage = deal.pipeline.stages.filter(is_lost=True).first()
    if stage is None:
        raise ValidationError(f"The {deal.pipeline} pipeline has no lost stage.")
    return move_deal(
        actor=actor,
        deal=deal,
        stage=stage,
        loss_reason=loss_reason,
        loss_note=loss_note,
        seen_stage=seen_stage,
    )


def delete_deal(*, actor: User, deal: Deal) -> None:
    """Delete a deal (an entry opened in error, a duplicate); boards drop its card.

    The client's timeline keeps a line saying who deleted which deal; the
    deal's own history (comments, stage moves) goes with it. Someone moving
    the deal afterwards gets "This deal was deleted by someone else".
    """
    with transaction.atomic():
        deal = _lock(deal)
        _require(
            policies.can_manage_deal(actor, deal),
            "Only the deal's owner, the department's managers and admins can delete it.",
        )
        topics = _topics(deal)
        payload = {"id": deal.pk, "stage": deal.stage_id, "owner": deal.owner_id, "actor": actor.pk}
        entry = add_entry(
            actor=actor,
            client_id=deal.client_id,
            kind=TimelineEntry.Kind.DEAL,
            summary=f"{actor} deleted deal {deal} ({deal.amount} {deal.currency})",
        )
        deal.delete()
        recount_open_work([deal.client_id])
        events.publish(topics, "deal.deleted", payload | {"timeline": entry.pk})
