"""The event log: a transactional outbox every live update goes through."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.timezone import now


class PostgresOnly(models.Func):
    """A PostgreSQL expression that is NULL on every other database (a column default).

    SQLite has one writer at a time, so its ids are in commit order and the
    transaction columns below are not needed there.
    """

    output_field = models.BigIntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        return "NULL", []

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, **extra_context)


class CurrentTransaction(PostgresOnly):
    """The id of the inserting transaction (64-bit, never wraps around)."""

    template = "(pg_current_xact_id()::text::bigint)"


class OldestRunningTransaction(PostgresOnly):
    """The oldest transaction still running as the inserting statement began
    (its snapshot's xmin): every transaction that had not committed by then
    has an id at least this large."""

    template = "(pg_snapshot_xmin(pg_current_snapshot())::text::bigint)"


class Event(models.Model):
    """One published event. Written in the publisher's transaction; ids increase.

    Clients track the last id they saw per topic and replay from it after a
    reconnect. Rows older than ``LIVE_RETENTION`` are pruned by a task.

    PostgreSQL assigns ids at insert, not at commit, so an event can become
    visible after one with a higher id. ``xact`` and ``horizon`` (set by the
    database, NULL on SQLite) let readers find such late commits exactly:
    see workspace/live/replay.py.
    """

    id = models.BigAutoField(primary_key=True)
    topic = models.CharField(max_length=96)
    kind = models.CharField(max_length=60)
    payload = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=now, db_index=True)
    xact = models.BigIntegerField(null=True, editable=False, db_default=CurrentTransaction())
    horizon = models.BigIntegerField(
        null=True, editable=False, db_default=OldestRunningTransaction()
    )

    class Meta:
        indexes = [
            models.Index(fields=["topic", "id"], name="live_event_topic_id"),
            models.Index(fields=["xact"], name="live_event_xact"),
        ]

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
