"""Campaigns' live topic, ``campaign.<id>``: its figures as they move.

Every write to a campaign (saved, scheduled, cancelled, each batch of sending,
an open, a click, an unsubscribe) publishes on the campaign's topic in its own
transaction, with the figures fragment (``_stats.html``, root
``#campaign-<id>-stats``) rendered once for every viewer: a results page swaps
it in place. Anyone who may see marketing may follow a campaign.
"""

from django.template.loader import render_to_string

from marketing import policies
from marketing.selectors.campaigns import campaign_stats
from workspace import live

STATS_TEMPLATE = "marketing/campaigns/_stats.html"


def campaign_topic(campaign_id: int) -> str:
    return f"campaign.{campaign_id}"


def can_follow_campaign(user, key: str) -> bool:
    return key.isdigit() and policies.can_view_marketing(user)


def stats_fragment(campaign, *, oob: bool = False) -> str:
    """The campaign's figures (``oob``: marked for an out-of-band swap, for live events)."""
    context = {"campaign": campaign, "stats": campaign_stats(campaign), "oob": oob}
    return render_to_string(STATS_TEMPLATE, context)


def publish_progress(campaign, kind: str = "campaign.progress", *, actor=None, **payload):
    """Publish ``kind`` on the campaign's topic with its current figures (in the writer's
    transaction)."""
    payload = {"id": campaign.pk, "status": campaign.status, **payload}
    if actor is not None:
        payload["actor"] = actor.pk
    return live.publish(
        campaign_topic(campaign.pk), kind, payload, html=stats_fragment(campaign, oob=True)
    )


def load() -> None:
    live.register_topic("campaign", can_follow_campaign)
