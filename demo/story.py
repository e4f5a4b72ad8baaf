"""The demo company's year, as curves the generators draw from, so every report tells a story.

Months are counted back from now (0 is the last 30 days, 11 the oldest), so
the story stays the same whenever the demo is seeded:

- **Sales.** A slow start; 9 to 7 months ago a competitor undercut the
  prices (the bad quarter: few wins, "Price" the main reason of losses); 6
  months ago a new sales process (qualification calls, Support handing leads
  to Sales) lifts volume, win rate and activity, and shortens the cycle.
- **Support.** 4 months ago a release went wrong: three times the tickets,
  a backlog cleared over the next weeks, the SLA missed and the ratings down;
  then recovery. First responses get faster all year.
- **Teamwork.** Handoffs grow with the new process; tasks are mostly done on
  time, except in the month of the release, when Support fell behind.
- **Client health.** A few long-standing customers went quiet around the
  release: no activity, ticket, deal, handoff or task of theirs in the last
  five months, so "Clients at risk" lists them, with the few others whose
  deals stalled or tickets went wrong.

The curves are tables by month, read with ``weight`` and ``pick_days_ago``;
the rest of the demo asks ``month_of`` and the helpers below.
"""

from datetime import timedelta

MONTH_DAYS = 365 / 12
MONTHS = 12
BAD_QUARTER = (7, 8, 9)  # months ago: a competitor's price cut
NEW_PROCESS = 6  # months ago: the new sales process starts
RELEASE = 4  # months ago: the release that went wrong

# Closed deals per month (relative), newest first.
DEAL_VOLUME = (12, 12, 11, 11, 10, 10, 9, 5, 5, 5, 6, 6)
# Share of the month's closed deals that were won.
WIN_RATE = (0.7, 0.68, 0.66, 0.64, 0.6, 0.58, 0.5, 0.25, 0.22, 0.28, 0.42, 0.4)
# Tickets resolved per month (relative): the release's spike.
TICKET_VOLUME = (8, 8, 9, 11, 26, 9, 8, 8, 7, 7, 7, 7)
# Activities logged per month (relative): more calls and meetings with the new process.
ACTIVITY_VOLUME = (13, 13, 12, 12, 11, 11, 10, 6, 6, 6, 6, 6)
QUIET_MONTHS = 5  # nothing with the customers gone quiet in the last five months
QUIET_CLIENTS = 12
QUIET_SINCE = 400  # days: only customers older than this went quiet (their lifecycle moves
# are long over)
# Handoffs sent per month (relative).
HANDOFF_VOLUME = (12, 12, 11, 11, 13, 10, 9, 4, 4, 3, 3, 3)
# Ratings 5, 4, 3, 2, 1: usual, the release's month, the month after.
RATINGS = (5, 4, 3, 2, 1)
USUAL_RATINGS = (42, 31, 14, 9, 4)
RELEASE_RATINGS = (8, 14, 24, 30, 24)
RECOVERY_RATINGS = (25, 30, 22, 15, 8)
PRICE_SHARE = {True: 0.6, False: 0.12}  # of losses, in the bad quarter or not


def silenced(weights) -> list[float]:
    """``weights`` without the last ``QUIET_MONTHS`` months (a quiet customer's year)."""
    return [0 if month < QUIET_MONTHS else weight for month, weight in enumerate(weights)]


def month_of(days_ago: float) -> int:
    """The month (0 = the last 30 days) of a moment ``days_ago`` days back."""
    return min(int(days_ago // MONTH_DAYS), MONTHS - 1)


def months_ago(now, moment) -> int:
    return month_of((now - moment).total_seconds() / 86400)


def pick_days_ago(rng, weights, low: float = 0.5) -> float:
    """Days back, a month picked by ``weights`` (newest first), then a day in it."""
    month = rng.choices(range(MONTHS), weights)[0]
    start = month * MONTH_DAYS
    return rng.uniform(max(start, low), start + MONTH_DAYS)


def closing_weights(won: bool) -> list[float]:
    """Months of closing for a won (or lost) deal: volume times the month's win (loss) rate.

    Picking the month given the outcome gives the same year as picking the
    outcome given the month (Bayes), and keeps the book's won/lost split.
    """
    return [
        volume * (rate if won else 1 - rate)
        for volume, rate in zip(DEAL_VOLUME, WIN_RATE, strict=True)
    ]


def sales_cycle(rng, month: int) -> timedelta:
    """Opening to closing: shorter since the new process."""
    return timedelta(days=rng.uniform(10, 60) if month < NEW_PROCESS else rng.uniform(20, 120))


def loss_reason(rng, month: int, reasons: list):
    """ "Price" in most losses of the bad quarter, an occasional one otherwise."""
    price = next((reason for reason in reasons if reason.name == "Price"), None)
    if price and rng.random() < PRICE_SHARE[month in BAD_QUARTER]:
        return price
    return rng.choice([reason for reason in reasons if reason != price] or reasons)


def first_response(rng, month: int, sla_hours: float) -> timedelta:
    """Answered within a share of the SLA that shrinks over the year (0.6 → 0.2 at most)."""
    most = 0.2 + 0.4 * month / (MONTHS - 1)
    return timedelta(hours=rng.uniform(0.05, most) * sla_hours)


def resolution(rng, month: int, sla_hours: float) -> timedelta:
    """First response to solved: a third or so late, most of the release's month's tickets
    days late (the backlog cleared over the following weeks)."""
    if month == RELEASE and rng.random() < 0.75:
        return timedelta(hours=rng.uniform(0.8, 2.5) * sla_hours, days=rng.uniform(0, 8))
    return timedelta(hours=rng.uniform(0.1, 1.05 + 0.05 * month) * sla_hours)


def rating(rng, month: int) -> int:
    weights = {RELEASE: RELEASE_RATINGS, RELEASE - 1: RECOVERY_RATINGS}.get(month, USUAL_RATINGS)
    return rng.choices(RATINGS, weights)[0]


def late_share(month: int) -> float:
    """Tasks done after their due time: many in the release's month, fewer since the new
    process."""
    if month in (RELEASE, RELEASE - 1):
        return 0.4
    return 0.1 if month < NEW_PROCESS else 0.2
