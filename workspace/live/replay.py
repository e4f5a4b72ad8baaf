"""What a reader of the event log has not seen yet: the replay a reconnecting
client gets, and what the hub's sweep reads.

PostgreSQL assigns an event's id at insert, not at commit: a transaction can
take id 100, run for a minute (an .ics import, a merge) and commit after id
101 was delivered. Ids alone cannot say what a reader missed, and no time
window is long enough for every transaction. So each event row records, at
insert, its transaction (``xact``) and the oldest transaction still running
as the inserting statement began (``horizon``, its snapshot's xmin); both are
NULL on SQLite, where one writer at a time keeps ids in commit order.

- Replay: a tab that saw event L (or whose page was drawn at L) may lack an
  event E with a lower id only if E's transaction had not committed when L's
  insert began; such a transaction has an id >= horizon(L). So the client
  gets the topic's events with id > L, and those with id < L and
  xact >= horizon(L), plus those up to ``LIVE_REPLAY_OVERLAP`` older than L
  (an event committed just before L may still have been on its way when the
  socket dropped). Some of those the tab already has: applying one twice
  changes nothing, and the socket sends each id once.
- The sweep keeps a ``LogPosition``: a snapshot on PostgreSQL (transactions
  below xmax, but those running then, had ended), the last id on SQLite. It
  reads exactly what was not visible there: no window, no re-reading.
"""

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q

from workspace.live import conf
from workspace.live.batch import Batched
from workspace.live.models import Event, Watermark
from workspace.live.outbox import event_frame


@dataclass
class Catchup:
    resync: bool = False  # too far behind: the client must re-fetch the region
    position: int = 0  # with resync: the log's end, where the client now stands
    events: list[tuple[int, str]] = field(default_factory=list)  # (id, frame)


def pruned_through() -> int:
    return Watermark.objects.values_list("pruned_through", flat=True).first() or 0


def latest_id() -> int:
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


def anchor(last_id: int) -> tuple | None:
    """(created_at, horizon) of the event ``last_id``, or of the closest one below it.

    A lower row serves as well: its insert began before ``last_id`` was
    taken, so its horizon is no later. None when no row is left at or below.
    """
    return (
        Event.objects.filter(id__lte=last_id)
        .order_by("-id")
        .values_list("created_at", "horizon")
        .first()
    )


def missed_since(last_id: int, anchored: tuple | None) -> Q:
    """The events of a topic that a client whose last id is ``last_id`` may lack."""
    if anchored is None:
        # Nothing at or below last_id is left: whatever is there is newer or committed late.
        return Q()
    created_at, horizon = anchored
    missed = Q(id__gt=last_id)
    if horizon is not None:  # PostgreSQL: transactions open when last_id was inserted
        missed |= Q(id__lt=last_id, xact__gte=horizon)
    if overlap := conf.get("LIVE_REPLAY_OVERLAP"):
        missed |= Q(id__lte=last_id, created_at__gte=created_at - overlap)
    return missed


def catch_up(requests: list[tuple[str, int | None]]) -> dict[str, Catchup]:
    """For each (topic, last id the client saw) the events it missed, or a resync.

    ``None`` as last id means "nothing to replay". Past the retention watermark,
    or more than ``LIVE_REPLAY_LIMIT`` events behind, the answer is a resync.
    What counts as missed is ``missed_since`` (see the module docstring).
    """
    return catch_up_many([requests])[0]


def catch_up_many(batches: list[list[tuple[str, int | None]]]) -> list[dict[str, Catchup]]:
    """``catch_up`` for many sockets at once: the topics sharing a last id are read in
    one query (after a restart most tabs' topics share a few), each frame built once."""
    wanted = {(topic, last) for requests in batches for topic, last in requests if last is not None}
    found = _missed(wanted) if wanted else {}
    end = latest_id() if any(events is None for events in found.values()) else 0
    answers = []
    for requests in batches:
        answer = {}
        for topic, last_id in requests:
            events = found.get((topic, last_id), []) if last_id is not None else []
            answer[topic] = (
                Catchup(resync=True, position=end) if events is None else Catchup(events=events)
            )
        answers.append(answer)
    return answers


# Sockets subscribing in the same moment share a thread hop and the queries.
catch_up_batched = Batched(catch_up_many)


def _missed(wanted: set[tuple[str, int]]) -> dict[tuple[str, int], list | None]:
    """(topic, last id) -> the missed (id, frame)s, or None where only a resync will do."""
    watermark = pruned_through()
    limit = conf.get("LIVE_REPLAY_LIMIT")
    by_last: dict[int, set[str]] = {}
    for topic, last_id in wanted:
        if last_id >= watermark:
            by_last.setdefault(last_id, set()).add(topic)
    found: dict[tuple[str, int], list | None] = dict.fromkeys(wanted)
    frames: dict[int, str] = {}
    for last_id, topics in by_last.items():
        missed = missed_since(last_id, anchor(last_id))
        for topic, events in _events_of(missed, topics, limit).items():
            if len(events) <= limit:
                found[topic, last_id] = [
                    (
                        event.id,
                        frames.get(event.id) or frames.setdefault(event.id, event_frame(event)),
                    )
                    for event in events
                ]
    return found


def _events_of(missed: Q, topics: set[str], limit: int) -> dict[str, list[Event]]:
    """Up to ``limit + 1`` events of each topic matching ``missed``, in id order."""
    cap = (limit + 1) * len(topics)
    rows = list(Event.objects.filter(missed, topic__in=topics).order_by("id")[:cap])
    if len(rows) == cap and len(topics) > 1:  # one busy topic may hide the others' events
        events = Event.objects.filter(missed).order_by("id")
        return {topic: list(events.filter(topic=topic)[: limit + 1]) for topic in topics}
    grouped: dict[str, list[Event]] = {topic: [] for topic in topics}
    for event in rows:
        grouped[event.topic].append(event)
    return grouped


@dataclass(frozen=True)
class LogPosition:
    """How much of the event log a reader has seen (see the module docstring)."""

    end: int = 0  # SQLite: every id up to this one
    xmax: int | None = None  # PostgreSQL: every transaction below this one had ended...
    running: tuple[int, ...] = ()  # ...but these, still running

    def unseen(self) -> Q:
        if self.xmax is None:
            return Q(id__gt=self.end)
        return Q(xact__gte=self.xmax) | Q(xact__in=self.running)


def log_position() -> LogPosition:
    """Where the event log stands now, for ``unseen_ids``."""
    if connection.vendor != "postgresql":
        return LogPosition(end=latest_id())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        _, xmax, running = cursor.fetchone()[0].split(":")
    return LogPosition(xmax=int(xmax), running=tuple(int(xid) for xid in running.split(",") if xid))


def unseen_ids(position: LogPosition, after: int, limit: int) -> list[tuple[int, str]]:
    """(id, topic) of events not visible at ``position``, in id order, from id ``after`` on."""
    rows = Event.objects.filter(position.unseen(), id__gt=after).order_by("id")
    return list(rows.values_list("id", "topic")[:limit])
