"""Live fragments of the deal page: its header, stage bar and stage history; a deletion notice."""

from django.contrib.contenttypes.models import ContentType

from accounts.models import User
from records.fragments import fragment, renders
from records.models import Deal, FieldChange
from records.selectors import deals as selectors


@renders("deal.updated", "deal.moved", "deal.won", "deal.lost")
def deal_page(kind: str, payload: dict) -> str:
    deal = (
        Deal.objects.select_related("client", "pipeline", "stage", "owner", "loss_reason")
        .filter(pk=payload["id"])
        .first()
    )
    if deal is None:
        return ""
    change = None
    if kind != "deal.updated" and payload.get("change"):
        change = (
            FieldChange.objects.select_related("actor")
            .filter(
                pk=payload["change"],
                content_type=ContentType.objects.get_for_model(Deal),
                field="stage",
            )
            .first()
        )
    context = {"deal": deal, "stages": selectors.stages_of(deal.pipeline_id), "change": change}
    return fragment("records/deal_detail.html#live-deal", context)


@renders("deal.deleted")
def deal_deleted(kind: str, payload: dict) -> str:
    context = {
        "deal_id": payload["id"],
        "actor": User.objects.filter(pk=payload.get("actor")).first(),
        "pipeline_id": selectors.pipeline_of_stage(payload.get("stage")),
    }
    return fragment("records/deal_detail.html#live-deleted", context)
