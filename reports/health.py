"""Client health: an explainable churn-risk score (0 to 100) from signals already in the data.

Each signal that fires gives points and a sentence a person reads ("No
activity for 47 days"); the score is their sum, capped at 100. The points are
in one table, ``WEIGHTS``, documented in docs/REPORTS.md. No black box: the
client page shows the score with its top three reasons.

The facts behind the signals are read for many clients at once with a
constant number of grouped queries (``scores_for``); one client
(``score_client``) is the same computation for one id, so the two cannot
disagree. ``ClientHealth`` (reports/models.py) keeps the scores: its writes
are reports/services.py's ``rescore`` — for the clients a write touched, in
the writer's transaction (a listener in reports/events.py) — and the daily
sweep's ``rescore_all`` (reports/tasks.py) for the days that pass. A score
that rises to the threshold tells the client's owner, once per crossing.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Avg, Count, F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from calendar_app.models import Event
from records import client_panels
from records.models import Client, Deal, Priority, Ticket, TimelineEntry
from reports.models import ClientHealth

AT_RISK_SCORE = getattr(settings, "REPORTS_AT_RISK_SCORE", 60)
NOTIFICATION_KIND = "client_at_risk"
PANEL_TEMPLATE = "reports/client_health.html"

Kind = TimelineEntry.Kind
# Timeline entries that count as activity even when no person is named on them.
ENGAGEMENT_KINDS = (*TimelineEntry.ACTIVITIES, Kind.COMMENT)

RECENT = timedelta(days=90)  # "the last 90 days" of SLA breaches, CSAT and lost deals
STALLED_AFTER = timedelta(days=30)  # an open deal with no stage move for this long
MEETING_MONTHS = 3
MEETING_WINDOW = timedelta(days=30 * MEETING_MONTHS)
CSAT_DROP = 0.5  # a fall of the average rating by this much (out of 5) is a signal
CSAT_LOW = 3.0  # an average rating below this is a signal on its own


@dataclass(frozen=True)
class Weight:
    """The points a signal gives: ``points`` per occurrence, at most ``cap`` in all."""

    points: int
    cap: int


# Every signal's points. Keep docs/REPORTS.md ("Client health") in step with this table.
WEIGHTS = {
    # Days since anyone did anything about the client: the strongest sign of a fading relation.
    "inactive_90": Weight(45, 45),
    "inactive_60": Weight(30, 30),
    "inactive_30": Weight(15, 15),
    # An urgent ticket still open: the client is hurting now.
    "urgent_tickets": Weight(15, 30),
    # Promises broken in the last 90 days.
    "sla_breaches": Weight(8, 24),
    # Satisfaction falling, or low.
    "csat_falling": Weight(15, 15),
    "csat_low": Weight(20, 20),
    # Sales going nowhere, or lost.
    "stalled_deals": Weight(10, 20),
    "lost_deals": Weight(10, 20),
    # Nobody has met them in months, and no meeting is planned.
    "no_meeting": Weight(15, 15),
}
# Days without activity → the signal (the longest first).
INACTIVITY_TIERS = ((90, "inactive_90"), (60, "inactive_60"), (30, "inactive_30"))


@dataclass(frozen=True)
class Reason:
    signal: str
    points: int
    text: str

    def as_dict(self) -> dict:
        return {"signal": self.signal, "points": self.points, "text": self.text}


@dataclass(frozen=True)
class Health:
    score: int
    reasons: tuple[Reason, ...]  # the most points first

    @property
    def at_risk(self) -> bool:
        return self.score >= AT_RISK_SCORE

    def summary(self, count: int = 3) -> str:
        """The top reasons in a sentence's words: "no activity for 47 days, 2 urgent…"."""
        texts = [reason.text for reason in self.reasons[:count]]
        return ", ".join(text[:1].lower() + text[1:] for text in texts)


@dataclass
class Facts:
    """What the signals read about one client (gathered in bulk by ``gather``)."""

    name: str
    owner_id: int
    created_at: datetime
    last_activity: datetime | None = None
    met_recently: bool = False
    urgent_open: int = 0
    sla_breaches: int = 0
    csat_recent: float | None = None
    csat_before: float | None = None
    stalled_deals: int = 0
    lost_deals: int = 0
    reasons: list[Reason] = field(default_factory=list)


# --- Signals ----------------------------------------------------------------------


def _points(signal: str, count: int = 1) -> int:
    weight = WEIGHTS[signal]
    return min(weight.points * count, weight.cap)


def _plural(count: int, word: str, words: str = "") -> str:
    return f"{count} {word}" if count == 1 else f"{count} {words or word + 's'}"


def signal_reasons(facts: Facts, now: datetime) -> list[Reason]:
    """Every signal that fires for ``facts`` at ``now``, with its points and sentence."""
    reasons = []

    def add(signal: str, text: str, count: int = 1) -> None:
        reasons.append(Reason(signal, _points(signal, count), text))

    since = facts.last_activity or facts.created_at
    days = (now - since).days
    tier = next((signal for limit, signal in INACTIVITY_TIERS if days >= limit), None)
    if tier:
        add(tier, f"No activity for {days} days")
    if facts.urgent_open:
        add(
            "urgent_tickets",
            f"{_plural(facts.urgent_open, 'urgent ticket')} open",
            facts.urgent_open,
        )
    if facts.sla_breaches:
        breaches = _plural(facts.sla_breaches, "SLA breach", "SLA breaches")
        add("sla_breaches", f"{breaches} in the last 90 days", facts.sla_breaches)
    recent, before = facts.csat_recent, facts.csat_before
    if recent is not None and before is not None and before - recent >= CSAT_DROP:
        add("csat_falling", f"Satisfaction fell from {before:.1f} to {recent:.1f} out of 5")
    if recent is not None and recent < CSAT_LOW:
        add("csat_low", f"Satisfaction averages {recent:.1f} out of 5 in the last 90 days")
    if facts.stalled_deals:
        text = f"{_plural(facts.stalled_deals, 'open deal')} with no stage move for 30+ days"
        add("stalled_deals", text, facts.stalled_deals)
    if facts.lost_deals:
        add(
            "lost_deals",
            f"{_plural(facts.lost_deals, 'deal')} lost in the last 90 days",
            facts.lost_deals,
        )
    if not facts.met_recently and now - facts.created_at >= MEETING_WINDOW:
        add("no_meeting", f"No meeting in {MEETING_MONTHS} months, and none planned")
    return reasons


def health_of(facts: Facts, now: datetime) -> Health:
    reasons = sorted(signal_reasons(facts, now), key=lambda reason: -reason.points)
    return Health(min(100, sum(reason.points for reason in reasons)), tuple(reasons))


# --- Facts, in bulk ---------------------------------------------------------------


def live_clients():
    """The clients that get a score: not archived, not merged away, not already churned."""
    return Client.objects.filter(archived=False, merged_into__isnull=True).exclude(
        lifecycle=Client.Lifecycle.CHURNED
    )


def gather(client_ids, now: datetime) -> dict[int, Facts]:
    """The facts of the live clients among ``client_ids``: five grouped queries in all."""
    facts = {
        row["pk"]: Facts(row["name"], row["owner_id"], row["created_at"])
        for row in live_clients()
        .filter(pk__in=client_ids)
        .values("pk", "name", "owner_id", "created_at")
    }
    if facts:
        ids = list(facts)
        _read_timeline(facts, ids, now)
        _read_calendar(facts, ids, now)
        _read_tickets(facts, ids, now)
        _read_deals(facts, ids, now)
    return facts


def _read_timeline(facts: dict[int, Facts], ids: list[int], now: datetime) -> None:
    """Last activity (anything a person did, or an activity logged) and recent meetings."""
    rows = (
        TimelineEntry.objects.filter(client_id__in=ids)
        .values("client_id")
        .annotate(
            last=Max("created_at", filter=Q(actor__isnull=False) | Q(kind__in=ENGAGEMENT_KINDS)),
            met=Count("pk", filter=Q(kind=Kind.MEETING, created_at__gte=now - MEETING_WINDOW)),
        )
    )
    for row in rows:
        facts[row["client_id"]].last_activity = row["last"]
        facts[row["client_id"]].met_recently = row["met"] > 0


def _read_calendar(facts: dict[int, Facts], ids: list[int], now: datetime) -> None:
    """Meetings in the calendar held in the window or planned (a series: its span meets it).

    Only the fact counts: a private meeting's title never leaves the calendar.
    """
    met = (
        Event.objects.live()
        .filter(client_id__in=ids)
        .filter(Q(last_end__isnull=True) | Q(last_end__gt=now - MEETING_WINDOW))
        .values_list("client_id", flat=True)
        .distinct()
    )
    for client_id in met:
        facts[client_id].met_recently = True


def _read_tickets(facts: dict[int, Facts], ids: list[int], now: datetime) -> None:
    recent = Q(resolved_at__gte=now - RECENT, resolved_at__lte=now)
    before = Q(resolved_at__gte=now - 2 * RECENT, resolved_at__lt=now - RECENT)
    unresolved = ~Q(status__in=Ticket.RESOLVED)
    breached = (recent & Q(resolved_at__gt=F("sla_due"))) | (unresolved & Q(sla_due__lt=now))
    rows = (
        Ticket.objects.filter(client_id__in=ids)
        .values("client_id")
        .annotate(
            urgent_open=Count("pk", filter=unresolved & Q(priority=Priority.URGENT)),
            breaches=Count("pk", filter=breached),
            csat_recent=Avg("satisfaction", filter=recent),
            csat_before=Avg("satisfaction", filter=before),
        )
    )
    for row in rows:
        client = facts[row["client_id"]]
        client.urgent_open = row["urgent_open"]
        client.sla_breaches = row["breaches"]
        client.csat_recent = _float(row["csat_recent"])
        client.csat_before = _float(row["csat_before"])


def _float(value) -> float | None:
    return None if value is None else float(value)


def _read_deals(facts: dict[int, Facts], ids: list[int], now: datetime) -> None:
    """Open deals with their last stage move (the timeline's latest deal entry: opened or
    moved), and deals lost in the last 90 days."""
    last_move = (
        TimelineEntry.objects.filter(deal=OuterRef("pk"), kind=Kind.DEAL)
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    rows = (
        Deal.objects.filter(client_id__in=ids)
        .filter(
            Q(status=Deal.Status.OPEN)
            | Q(status=Deal.Status.LOST, closed_at__gte=now - RECENT, closed_at__lte=now)
        )
        .annotate(moved=Coalesce(Subquery(last_move), "created_at"))
        .values_list("client_id", "status", "moved")
    )
    for client_id, status, moved in rows:
        if status == Deal.Status.LOST:
            facts[client_id].lost_deals += 1
        elif now - moved >= STALLED_AFTER:
            facts[client_id].stalled_deals += 1


def scores_for(client_ids, now: datetime | None = None) -> dict[int, Health]:
    """The health of each live client among ``client_ids`` (others are left out)."""
    now = now or timezone.now()
    return {pk: health_of(facts, now) for pk, facts in gather(client_ids, now).items()}


def score_client(client_id: int, now: datetime | None = None) -> Health | None:
    """One client's health (None when it is archived, merged or churned)."""
    return scores_for([client_id], now).get(client_id)


def client_link(client_id: int) -> str:
    return reverse("records:client_detail", args=[client_id])


def panel_context(client_id: int, health: ClientHealth | None, oob: bool = False) -> dict:
    return {
        "client_id": client_id,
        "health": health,
        "threshold": AT_RISK_SCORE,
        "oob": oob,
        "report_url": reverse("reports:report", args=["health-at-risk"]),
    }


def client_panel(user, client) -> dict:
    """The client page's health panel (records' client-page panel registry): one query."""
    return panel_context(client.pk, ClientHealth.objects.filter(pk=client.pk).first())


def load() -> None:
    """Show the score on the client page (reports/apps.py calls this at start-up; the
    listener that keeps the scores current is in reports/events.py)."""
    client_panels.register(template=f"{PANEL_TEMPLATE}#panel", context=client_panel, order=10)
