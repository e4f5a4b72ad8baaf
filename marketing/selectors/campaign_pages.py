"""Reads of the campaign pages: the marketing home, the campaign list and the results page.

Figures of many campaigns come from one grouped query over their recipients
(``figures_of``), never one query per campaign, so a page costs the same
whatever it lists. The live figures of one campaign while it sends are the
sending backend's (``marketing.selectors.campaigns.campaign_stats``).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from marketing import segments
from marketing.models import Campaign, Recipient, Segment, Submission, WebForm
from marketing.selectors.campaigns import NO_RECIPIENTS, stat_counts, stats_of
from reports.measures import percent

State = Recipient.State
Status = Campaign.Status
RECENT_DAYS = 30
HOME_DRAFTS = 5
HOME_UPCOMING = 10


def figures_of(campaigns) -> list:
    """``campaigns`` (a list), each with ``.figures`` (CampaignStats) set: one query."""
    campaigns = list(campaigns)
    if campaigns:
        stats = stats_of([campaign.pk for campaign in campaigns])
        for campaign in campaigns:
            campaign.figures = stats.get(campaign.pk, NO_RECIPIENTS)
    return campaigns


def listed():
    """Campaigns as the list pages show them: with their segment and author."""
    return Campaign.objects.select_related("segment", "created_by")


# --- The campaign list -------------------------------------------------------------------

STATUS_ORDER = {
    Status.DRAFT: "-updated_at",
    Status.SCHEDULED: "scheduled_for",
    Status.SENDING: "-started_at",
    Status.SENT: "-finished_at",
    Status.CANCELLED: "-updated_at",
}


def campaigns(status: str = ""):
    """The campaigns with ``status`` (all when empty), in the order that status reads best."""
    if status not in STATUS_ORDER:
        return listed().order_by("-created_at", "-pk")
    return listed().filter(status=status).order_by(STATUS_ORDER[status], "-pk")


def counts_by_status() -> dict[str, int]:
    rows = Campaign.objects.order_by().values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


# --- The marketing home ------------------------------------------------------------------


@dataclass(frozen=True)
class KeyNumbers:
    """The last ``RECENT_DAYS`` days of marketing at a glance."""

    campaigns_sent: int
    emails_sent: int
    open_rate: float | None
    click_rate: float | None
    unsubscribed: int
    submissions: int
    segments: int
    active_forms: int


def key_numbers() -> KeyNumbers:
    """Four queries, whatever the volume: recipients are read through the campaigns that
    started within the window (the (campaign, state) index), never the whole table."""
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    recent = Campaign.objects.filter(started_at__gte=since)
    mail = Recipient.objects.filter(campaign__in=recent).aggregate(
        campaigns=Count("campaign", distinct=True, filter=Q(state=State.SENT)),
        **{name: stat_counts()[name] for name in ("sent", "opened", "clicked", "unsubscribed")},
    )
    return KeyNumbers(
        campaigns_sent=mail["campaigns"],
        emails_sent=mail["sent"],
        open_rate=percent(mail["opened"], mail["sent"]),
        click_rate=percent(mail["clicked"], mail["sent"]),
        unsubscribed=mail["unsubscribed"],
        submissions=Submission.objects.filter(created_at__gte=since).count(),
        segments=Segment.objects.count(),
        active_forms=WebForm.objects.filter(active=True).count(),
    )


def home_campaigns() -> dict:
    """What needs the marketer's eye: drafts, what is due to go out, what is going out."""
    drafts = campaigns(Status.DRAFT)
    return {
        "drafts": list(drafts[:HOME_DRAFTS]),
        "scheduled": list(campaigns(Status.SCHEDULED)[:HOME_UPCOMING]),
        "sending": figures_of(campaigns(Status.SENDING)[:HOME_UPCOMING]),
    }


# --- The results page --------------------------------------------------------------------

RECIPIENT_FILTERS = {
    "": ("All", Q()),
    "sent": ("Sent", Q(state=State.SENT)),
    "opened": ("Opened", Q(opened_at__isnull=False)),
    "clicked": ("Clicked", Q(clicked_at__isnull=False)),
    "queued": ("Waiting", Q(state__in=[State.QUEUED, State.SENDING])),
    "skipped": ("Skipped", Q(state=State.SKIPPED)),
    "failed": ("Failed", Q(state__in=[State.FAILED, State.UNCONFIRMED])),
    "unsubscribed": ("Unsubscribed", Q(unsubscribed_at__isnull=False)),
    "bounced": ("Bounced", Q(bounced_at__isnull=False)),
}


def recipients(campaign: Campaign, state: str = ""):
    """The campaign's recipients in the order they were queued, filtered by ``state``
    (a key of RECIPIENT_FILTERS; anything else: all)."""
    _label, condition = RECIPIENT_FILTERS.get(state, RECIPIENT_FILTERS[""])
    return (
        Recipient.objects.filter(condition, campaign=campaign)
        .select_related("client")
        .order_by("pk")
    )


def sample_contact(segment: Segment):
    """The segment's first contact, with its client and owner: the editor's preview shows
    the email as that person would get it."""
    contacts = segments.contacts_of(segment).select_related("client__owner")
    return contacts.order_by("pk").first()
