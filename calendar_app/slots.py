"""The slot finder: the earliest times at which everyone asked is at work and free.

Working hours come from each person's profile (``timezone``, ``work_start``,
``work_end``, ``work_days``, 0 = Monday) and are laid out per *local* date with
zoneinfo: a day on which the clocks change gets its true length, and a Berlin
and a New York colleague overlap only in the hours their days share. Busy time
comes from ``selectors.busy_blocks`` — one read for the whole horizon, spans
only, never a title.

Slots start on a grid of ``step`` counted from midnight UTC. With the default
15 minutes that is every zone's own quarter hours too (every offset in use is
a multiple of 15 minutes). Proposals do not overlap: each starts at or after
the end of the one before, so every proposal is a different choice.
"""

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice

from django.utils import timezone

from calendar_app.recurrence import zone
from calendar_app.selectors import busy_blocks, merge_spans

STEP = timedelta(minutes=15)
HORIZON_DAYS = 14
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

type Span = tuple[datetime, datetime]


class Slots(list):
    """The slots found, earliest first, as (start, end) pairs in UTC.

    When none was found, ``reason`` tells a person why (no shared working
    hours, none long enough, or all of it booked).
    """

    def __init__(self, slots: Iterable[Span] = (), reason: str = ""):
        super().__init__(slots)
        self.reason = reason


def find_slots(
    people,
    duration: timedelta,
    after: datetime,
    *,
    count: int = 5,
    horizon_days: int = HORIZON_DAYS,
    step: timedelta = STEP,
    ignore_uid: str = "",
    busy: dict | None = None,
) -> Slots:
    """The ``count`` earliest common free slots of ``duration`` for ``people`` (users).

    The search runs from ``after`` (never from the past) for ``horizon_days``.
    ``busy`` ({user id: spans}, covering the horizon) saves the read when the
    caller has the blocks already; otherwise they are read here, leaving out
    the event ``ignore_uid`` (the one being rescheduled).
    """
    people = list(people)
    if not people:
        return Slots(reason="Pick at least one person.")
    start, end = search_window(after, horizon_days, step)
    if busy is None:
        busy = busy_blocks([person.pk for person in people], start, end, ignore_uid=ignore_uid)
    working = common_working_hours(people, start, end)
    free = without(working, merge_spans(span for spans in busy.values() for span in spans))
    found = Slots(islice(_slots_in(free, duration, step), count))
    if not found:
        found.reason = _why_none(working, duration, horizon_days)
    return found


def search_window(after: datetime, horizon_days: int = HORIZON_DAYS, step: timedelta = STEP):
    """Where a search from ``after`` looks: from the next grid time (not past) for the horizon."""
    start = on_grid(max(after, timezone.now()), step)
    return start, start + timedelta(days=horizon_days)


def on_grid(moment: datetime, step: timedelta = STEP) -> datetime:
    """``moment`` rounded up to the grid of ``step`` (counted from midnight UTC)."""
    remainder = (moment - EPOCH) % step
    return moment + (step - remainder) if remainder else moment


# --- Working hours -----------------------------------------------------------------


def working_hours(person, start: datetime, end: datetime) -> list[Span]:
    """``person``'s working hours meeting [start, end), in UTC, cut to it: one span a work day.

    Each local date of the window is looked at in the person's own zone, so
    9:00 to 17:00 is that on their wall clock, also on a day the clocks change.
    """
    tz = zone(person.timezone)
    spans = []
    for day in _local_dates(start, end, tz):
        if day.weekday() not in person.work_days:
            continue
        begin = _local(day, person.work_start, tz)
        finish = _local(day, person.work_end, tz)
        begin, finish = max(begin, start), min(finish, end)
        if begin < finish:
            spans.append((begin, finish))
    return spans


def _local_dates(start: datetime, end: datetime, tz) -> Iterator[date]:
    day, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    while day <= last:
        yield day
        day += timedelta(days=1)


def _local(day: date, clock: time, tz) -> datetime:
    """``clock`` on ``day`` in ``tz``, in UTC (a time skipped by a clock change: just after it)."""
    return datetime.combine(day, clock, tz).astimezone(UTC)


def common_working_hours(people, start: datetime, end: datetime) -> list[Span]:
    """When all of ``people`` are at work in [start, end)."""
    common = [(start, end)]
    for person in people:
        common = intersection(common, working_hours(person, start, end))
    return common


def is_within(spans: list[Span], span: Span) -> bool:
    """Whether ``span`` lies inside one of ``spans``."""
    return any(begin <= span[0] and span[1] <= finish for begin, finish in spans)


def overlaps(spans: list[Span], span: Span) -> bool:
    return any(begin < span[1] and finish > span[0] for begin, finish in spans)


# --- Span arithmetic (sorted lists of (start, end)) -------------------------------------


def intersection(first: list[Span], second: list[Span]) -> list[Span]:
    """The time in both sorted, non-overlapping span lists."""
    common, i, j = [], 0, 0
    while i < len(first) and j < len(second):
        begin = max(first[i][0], second[j][0])
        finish = min(first[i][1], second[j][1])
        if begin < finish:
            common.append((begin, finish))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return common


def without(spans: list[Span], taken: list[Span]) -> list[Span]:
    """``spans`` less the merged, sorted ``taken``."""
    left = []
    for begin, finish in spans:
        for taken_begin, taken_end in taken:
            if taken_end <= begin or taken_begin >= finish:
                continue
            if taken_begin > begin:
                left.append((begin, taken_begin))
            begin = max(begin, taken_end)
        if begin < finish:
            left.append((begin, finish))
    return left


def _slots_in(free: list[Span], duration: timedelta, step: timedelta) -> Iterator[Span]:
    for begin, finish in free:
        moment = on_grid(begin, step)
        while moment + duration <= finish:
            yield moment, moment + duration
            moment = on_grid(moment + duration, step)


# --- Saying why ---------------------------------------------------------------------


def length_label(length: timedelta) -> str:
    """“30 min”, “2 h”, “1 h 30 min”."""
    minutes = int(length.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    parts = ([f"{hours} h"] if hours else []) + ([f"{minutes} min"] if minutes else [])
    return " ".join(parts) or "0 min"


def _why_none(working: list[Span], duration: timedelta, horizon_days: int) -> str:
    period = f"the next {horizon_days} days"
    if not working:
        return (
            f"No common working hours in {period}: these people's working days and hours "
            "(in their profiles) never overlap."
        )
    longest = max(finish - begin for begin, finish in working)
    if longest < duration:
        return (
            f"No common working time in {period} is long enough for {length_label(duration)} "
            f"(the longest is {length_label(longest)}). Try a shorter meeting."
        )
    return (
        f"Everyone is busy for {period}: there is no free {length_label(duration)} "
        "when all are at work."
    )


# --- Reading busy time for several windows ------------------------------------------------


def busy_in_windows(people_ids, windows: Iterable[Span], *, ignore_uid: str = "") -> dict:
    """Busy spans of each person in all ``windows``: one ``busy_blocks`` read per separate
    window (windows that overlap or touch are read together)."""
    people_ids = list(people_ids)
    found = {person: [] for person in people_ids}
    for start, end in merge_spans(windows):
        for person, spans in busy_blocks(people_ids, start, end, ignore_uid=ignore_uid).items():
            found[person].extend(spans)
    return {person: merge_spans(spans) for person, spans in found.items()}
