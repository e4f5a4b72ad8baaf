"""Import runs, the mappings people saved, and the changes a run made (for an exact undo)."""

from django.conf import settings
from django.db import models
from django.utils.timezone import now


class ImportRun(models.Model):
    """One file imported by one person: from upload, through mapping and preview, to done."""

    class Kind(models.TextChoices):
        CLIENTS = "clients", "Clients"
        CONTACTS = "contacts", "Contacts"

    class Duplicates(models.TextChoices):
        SKIP = "skip", "Skip the row"
        UPDATE = "update", "Update the existing record"
        CREATE = "create", "Create a new record anyway"

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded"
        MAPPED = "mapped", "Columns mapped"
        PREVIEWED = "previewed", "Previewed"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        UNDONE = "undone", "Undone"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(max_length=255)
    data = models.BinaryField(help_text="The uploaded file, read again by each step and the job.")
    headers = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0, help_text="Data rows in the file.")
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.CLIENTS)
    mapping = models.JSONField(default=dict, blank=True, help_text="Header → field.")
    duplicate_mode = models.CharField(max_length=10, choices=Duplicates, default=Duplicates.SKIP)
    status = models.CharField(max_length=10, choices=Status, default=Status.UPLOADED)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    progress = models.PositiveIntegerField(default=0, help_text="Rows processed so far.")
    report = models.JSONField(
        default=list, blank=True, help_text="[{row, outcome, reason}] for rows not created cleanly."
    )
    undo_report = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, help_text="Why the whole run failed.")
    created_at = models.DateTimeField(default=now)
    finished_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="import_run_user")]

    def __str__(self) -> str:
        return f"Import of {self.file_name}"

    @property
    def topic(self) -> str:
        return f"import.{self.pk}"

    @property
    def percent(self) -> int:
        return round(100 * self.progress / self.total) if self.total else 100

    @property
    def can_undo(self) -> bool:
        return self.status == self.Status.DONE


class ImportMapping(models.Model):
    """The column → field mapping a person chose for files with these headers."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=ImportRun.Kind)
    header_key = models.CharField(max_length=64, help_text="sha256 of the normalized headers.")
    mapping = models.JSONField(default=dict)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "header_key"], name="import_mapping_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} mapping of {self.user}"


class ImportChange(models.Model):
    """A record a run created, or one field it changed (with the old and new value)."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=10, choices=Action)
    model = models.CharField(max_length=10, help_text="client or contact")
    object_id = models.PositiveBigIntegerField()
    field = models.CharField(max_length=60, blank=True)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    row = models.PositiveIntegerField(default=0, help_text="The file's row.")

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["run", "action"], name="import_change_run")]

    def __str__(self) -> str:
        return f"{self.action} {self.model} {self.object_id} {self.field}".strip()
