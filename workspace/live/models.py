"""The event log: a transactional outbox every live update goes through."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.timezone import now


class Event(models.Model):
    """One published event. Written in the publisher's transaction; ids increase.

    Clients track the last id they saw per topic and replay from it after a
    reconnect. Rows older than ``LIVE_RETENTION`` are pruned by a task.
    """

    id = models.BigAutoField(primary_key=True)
    topic = models.CharField(max_length=96)
    kind = models.CharField(max_length=60)
    payload = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["topic", "id"], name="live_event_topic_id")]

    def __str__(self) -> str:
        return f"#{self.id} {self.topic} {self.kind}"


class Watermark(models.Model):
    """The highest event id pruned so far (one row).

    A client whose last id is below it may have missed pruned events, so it
    is told to resync rather than given an incomplete replay.
    """

    pruned_through = models.BigIntegerField(default=0)
    pruned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"events pruned through #{self.pruned_through}"
