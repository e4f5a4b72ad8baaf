from django.db import models
from django.db.models.functions import Now


class WorkerHeartbeat(models.Model):
    """A ``run_worker`` process and the last time it said it was alive.

    Times come from the database's clock, never a host's, so workers on hosts
    whose clocks disagree still judge each other's beats alike.
    """

    worker_id = models.CharField(primary_key=True, max_length=64)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(db_default=Now())
    beat_at = models.DateTimeField(db_default=Now())

    def __str__(self):
        return f"{self.worker_id} ({self.host}, pid {self.pid})"
