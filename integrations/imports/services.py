"""Every write of the import wizard: upload, map, choose duplicates, start, undo."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from integrations.imports import engine, mapping, policies, reading
from integrations.imports.events import publish_progress, tell_open_lists
from integrations.imports.models import ImportRun
from integrations.imports.tasks import run_import

Status = ImportRun.Status


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def upload(*, actor, upload_file, kind: str) -> ImportRun:
    """Read the file (refusing it whole if it is broken or too large) and start a run with
    the mapping this person saved for these headers, or the guessed one."""
    _require(policies.can_import(actor), "You cannot import records.")
    if kind not in ImportRun.Kind.values:
        raise ValidationError({"kind": "Choose clients or contacts."})
    reading.check_size(upload_file.size)
    data = upload_file.read()
    try:
        table = reading.read_file(data, upload_file.name)
    except reading.UnreadableFile as error:
        raise ValidationError({"file": str(error)}) from None
    if not table.rows:
        raise ValidationError({"file": "The file has a header row but no data rows."})
    return ImportRun.objects.create(
        user=actor,
        file_name=upload_file.name[:255],
        data=data,
        headers=table.headers,
        total=len(table),
        kind=kind,
        mapping=mapping.suggested(actor, kind, table.headers),
    )


def _editable(actor, run: ImportRun) -> None:
    _require(policies.can_view_run(actor, run), "This import is not yours.")
    if run.status not in (Status.UPLOADED, Status.MAPPED, Status.PREVIEWED):
        raise ValidationError("This import has already run.")


def set_mapping(*, actor, run: ImportRun, columns: dict[str, str]) -> ImportRun:
    """Map the file's columns (header → field or ""); saved for this person's next file
    with the same headers."""
    _editable(actor, run)
    fields = dict(mapping.field_choices(run.kind))
    chosen = {h: f for h, f in columns.items() if h in run.headers and f in fields and f}
    problems = mapping.check(run.kind, chosen)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        run.mapping, run.status = chosen, Status.MAPPED
        run.save(update_fields=["mapping", "status"])
        mapping.save(actor, run.kind, run.headers, chosen)
    return run


def set_duplicate_mode(*, actor, run: ImportRun, mode: str) -> ImportRun:
    _editable(actor, run)
    if mode not in ImportRun.Duplicates.values:
        raise ValidationError({"duplicate_mode": "Choose skip, update or create."})
    run.duplicate_mode, run.status = mode, Status.PREVIEWED
    run.save(update_fields=["duplicate_mode", "status"])
    return run


def start(*, actor, run: ImportRun) -> ImportRun:
    """Queue the import job (the run must be mapped)."""

    _editable(actor, run)
    if run.status == Status.UPLOADED:
        raise ValidationError("Map the columns first.")
    with transaction.atomic():
        run.status, run.progress = Status.RUNNING, 0
        run.save(update_fields=["status", "progress"])
        publish_progress(run, "import.started")
        transaction.on_commit(lambda: run_import.enqueue(run.pk))
    return run


def undo_run(*, actor, run: ImportRun) -> list[dict]:
    """Remove what the run created and put back the fields it changed; what others changed
    since is kept and listed (see engine.undo)."""
    _require(policies.can_view_run(actor, run), "This import is not yours.")
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        if not run.can_undo:
            raise ValidationError("Only a finished import can be undone, once.")
        kept = engine.undo(run, actor=actor)
        run.status, run.undone_at, run.undo_report = Status.UNDONE, timezone.now(), kept
        run.save(update_fields=["status", "undone_at", "undo_report"])
        publish_progress(run, "import.undone")
        tell_open_lists(run, f"{actor} undid an import of {run.get_kind_display().lower()}.")
    return kept
