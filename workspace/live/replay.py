"""What a reconnecting client missed: read from the event log, in id order."""

from dataclasses import dataclass, field

from django.db.models import Q

from workspace.live import conf
from workspace.live.models import Event, Watermark
from workspace.live.outbox import event_frame


@dataclass
class Catchup:
    resync: bool = False  # too far behind: the client must re-fetch the region
    position: int = 0  # with resync: the log's end, where the client now stands
    events: list[tuple[int, str]] = field(default_factory=list)  # (id, frame)


def pruned_through() -> int:
    return Watermark.objects.values_list("pruned_through", flat=True).first() or 0


def catch_up(requests: list[tuple[str, int | None]]) -> dict[str, Catchup]:
    """For each (topic, last id the client saw) the events it missed, or a resync.

    ``None`` as last id means "nothing to replay". Past the retention watermark,
    or more than ``LIVE_REPLAY_LIMIT`` events behind, the answer is a resync.
    Events up to ``LIVE_REPLAY_OVERLAP`` older than the client's last event are
    sent again (see conf.py): applying an event twice changes nothing.
    """
    result = {}
    wanted = [(topic, last_id) for topic, last_id in requests if last_id is not None]
    if not wanted:
        return {topic: Catchup() for topic, _ in requests}
    watermark = pruned_through()
    limit = conf.get("LIVE_REPLAY_LIMIT")
    overlap = conf.get("LIVE_REPLAY_OVERLAP")
    anchors: dict[int, object] = {}
    end = None
    for topic, last_id in requests:
        if last_id is None:
            result[topic] = Catchup()
            continue
        if last_id < watermark:
            events = None
        else:
            missed = Q(id__gt=last_id)
            if overlap and last_id:
                if last_id not in anchors:
                    anchors[last_id] = (
                        Event.objects.filter(id__lte=last_id)
                        .order_by("-id")
                        .values_list("created_at", flat=True)
                        .first()
                    )
                if anchors[last_id] is not None:
                    missed |= Q(id__lte=last_id, created_at__gte=anchors[last_id] - overlap)
            events = list(Event.objects.filter(missed, topic=topic).order_by("id")[: limit + 1])
        if events is None or len(events) > limit:
            if end is None:
                end = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
            result[topic] = Catchup(resync=True, position=end)
        else:
            result[topic] = Catchup(events=[(event.id, event_frame(event)) for event in events])
    return result
