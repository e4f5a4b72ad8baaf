"""Reads of campaigns: the sending figures of one campaign, in one query."""

from dataclasses import dataclass

from django.db.models import Count, Q

from marketing.models import Campaign, Recipient
from reports.measures import percent

State = Recipient.State
Skip = Recipient.Skip


@dataclass(frozen=True)
class CampaignStats:
    recipients: int  # every address of the segment, skipped ones included
    queued: int
    sending: int  # being handed to the mail server right now
    sent: int
    skipped: dict[str, int]  # Recipient.Skip value → count, every reason present
    failed: int
    unconfirmed: int
    opened: int
    clicked: int
    unsubscribed: int
    bounced: int

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    @property
    def to_send(self) -> int:
        """The addresses the campaign emails (or emailed): every recipient not skipped."""
        return self.recipients - self.skipped_total

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.unconfirmed

    @property
    def progress_rate(self) -> float | None:
        return percent(self.done, self.to_send)

    @property
    def open_rate(self) -> float | None:
        return percent(self.opened, self.sent)

    @property
    def click_rate(self) -> float | None:
        return percent(self.clicked, self.sent)

    @property
    def unsubscribe_rate(self) -> float | None:
        return percent(self.unsubscribed, self.sent)

    @property
    def bounce_rate(self) -> float | None:
        return percent(self.bounced, self.sent + self.failed)

    def skipped_rows(self) -> list[tuple[str, int]]:
        """(label, count) per skip reason, in the model's order."""
        return [(label, self.skipped[value]) for value, label in Skip.choices]


def _count(**lookups) -> Count:
    return Count("pk", filter=Q(**lookups))


def stat_counts() -> dict[str, Count]:
    """The counts behind CampaignStats, as aggregate (or annotate) arguments."""
    return {
        "recipients": Count("pk"),
        "queued": _count(state=State.QUEUED),
        "sending": _count(state=State.SENDING),
        "sent": _count(state=State.SENT),
        "failed": _count(state=State.FAILED),
        "unconfirmed": _count(state=State.UNCONFIRMED),
        "opened": _count(opened_at__isnull=False),
        "clicked": _count(clicked_at__isnull=False),
        "unsubscribed": _count(unsubscribed_at__isnull=False),
        "bounced": _count(bounced_at__isnull=False),
        **{
            f"skipped_{value}": _count(state=State.SKIPPED, skip_reason=value)
            for value in Skip.values
        },
    }


def _stats(counts: dict) -> CampaignStats:
    skipped = {value: counts.pop(f"skipped_{value}", 0) for value in Skip.values}
    return CampaignStats(skipped=skipped, **counts)


NO_RECIPIENTS = _stats({name: 0 for name in stat_counts()})


def campaign_stats(campaign: Campaign) -> CampaignStats:
    """CampaignStats of ``campaign``: recipients, queued, sent, skipped per reason, failed,
    unconfirmed, opened, clicked, unsubscribed, bounced, and rates. One query."""
    counts = Recipient.objects.filter(campaign_id=campaign.pk).aggregate(**stat_counts())
    return _stats(counts)


def stats_of(campaign_ids) -> dict[int, CampaignStats]:
    """The CampaignStats of several campaigns (those with recipients), in one query."""
    rows = (
        Recipient.objects.filter(campaign__in=campaign_ids)
        .order_by()
        .values("campaign")
        .annotate(**stat_counts())
    )
    return {row.pop("campaign"): _stats(row) for row in rows}
