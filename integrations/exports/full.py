"""An admin's full export: one zip of CSVs with the whole book, built by a background job.

What it holds (one CSV each): clients (archived and merged ones too), contacts,
deals and tickets (the same columns as their list exports, so the import reads
them back), then tasks, comments, handoffs, timeline entries, calendar events
and chat messages, one column per model field (links as ids, people, clients
and departments also by name).

What it leaves out, and why:

- chat messages of private rooms, direct messages and department rooms: their
  privacy holds for admins too (``chat.models.RoomQuerySet.visible_to``); only
  client rooms and open group rooms are in;
- the title, description, location and video link of private calendar events:
  everyone else sees them as "busy", so does the export;
- the bodies of deleted comments and chat messages (the pages show them deleted);
- derived HTML renderings (``body_html``…), which are the text fields rendered.

Files: ``EXPORTS_ROOT/<admin id>/<random>.zip`` (outside MEDIA_ROOT, which may be served to
anyone with a link), written to a ``.part``
file first and renamed when complete. Only the admin who asked downloads it
(``integrations.exports.views.full_download``: 404 for anyone else). They are
removed after ``EXPORTS_RETENTION`` (seven days), whenever anyone opens the
full-export page or a new export starts, or by its "Delete" button.
"""

import io
import secrets
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings
from django.db.models import Model, QuerySet
from django.http import QueryDict
from django.utils.text import capfirst

from accounts.models import Department, User
from calendar_app.models import Event
from chat.models import Message, Room
from integrations.exports import writers
from integrations.exports.tables import TABLES, Column, field, records
from records.models import Client, Comment, Handoff, Task, TimelineEntry
from records.selectors import lists

RETENTION = settings.EXPORTS_RETENTION
NAMED = (User, Department, Client)  # links also exported by name (their __str__ reads no join)
TOKEN_BYTES = 24
SUFFIX = ".zip"
PARTIAL = ".part"

# The list exports with every row: clients include archived and merged ones.
EVERYTHING = {"clients": "archived=all"}


def folder(user: User) -> Path:
    return Path(settings.EXPORTS_ROOT) / str(user.pk)


def new_path(user: User) -> Path:
    """Where an export of ``user`` goes: their folder, a random name nobody can guess."""
    return folder(user) / f"{secrets.token_urlsafe(TOKEN_BYTES)}{SUFFIX}"


def find(user: User, name: str) -> Path | None:
    """``user``'s finished export called ``name``, or None (a name from elsewhere never
    leaves their folder: it must be one of the files listed there)."""
    return next((path for path in ready(user) if path.name == name), None)


def ready(user: User) -> list[Path]:
    """``user``'s finished exports, newest first."""
    paths = folder(user).glob(f"*{SUFFIX}")
    return sorted(paths, key=lambda path: path.stat().st_mtime, reverse=True)


def pending(user: User) -> int:
    """How many exports of ``user`` are still being built."""
    return sum(1 for _ in folder(user).glob(f"*{SUFFIX}{PARTIAL}"))


def prune(now: float | None = None) -> int:
    """Remove every export older than RETENTION (and builds abandoned that long);
    return how many files went."""
    cutoff = (now or time.time()) - RETENTION.total_seconds()
    removed = 0
    for path in Path(settings.EXPORTS_ROOT).glob("*/*.zip*"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


# --- Tables --------------------------------------------------------------------------


def model_columns(model: type[Model], overrides: dict[str, Callable] | None = None):
    """One column per concrete field of ``model`` (derived ``*_html`` left out); a link
    as "<Field> ID", plus its name when it leads to a person, department or client.
    ``overrides`` replace a field's value (``{name: obj -> value}``)."""
    overrides = overrides or {}
    columns, joins = [], []
    for each in model._meta.concrete_fields:
        if each.name.endswith("_html"):
            continue
        if each.name in overrides:
            columns.append(Column(capfirst(each.verbose_name), overrides[each.name]))
        elif each.many_to_one or each.one_to_one:
            columns.append(_link_id(each))
            if each.related_model in NAMED:
                columns.append(field(model, each.name))
                joins.append(each.name)
        else:
            columns.append(field(model, each.name, "ID" if each.primary_key else ""))
    return columns, joins


def _link_id(model_field) -> Column:
    attname = model_field.attname
    return Column(f"{capfirst(model_field.verbose_name)} ID", lambda obj: getattr(obj, attname))


def _unless_deleted(name: str):
    return lambda obj: "" if obj.deleted_at else getattr(obj, name)


def _unless_private(name: str, shown: str = ""):
    return lambda event: shown if event.is_private else getattr(event, name)


def dump(queryset: QuerySet, overrides: dict[str, Callable] | None = None) -> Iterator[list]:
    """Header and rows of every field of ``queryset``'s model (see ``model_columns``)."""
    columns, joins = model_columns(queryset.model, overrides)
    return records(queryset.select_related(*joins).order_by("pk"), columns)


def _list(name: str, admin: User) -> Iterator[list]:
    table = TABLES[name]
    state = lists.read(table.spec, QueryDict(EVERYTHING.get(name, "")), admin)
    return table.rows(state, admin)


def public_messages() -> QuerySet:
    """Messages of client rooms and open group rooms: nobody's private conversation."""
    rooms = Room.objects.filter(kind=Room.Kind.CLIENT) | Room.objects.filter(
        kind=Room.Kind.GROUP, is_private=False
    )
    return Message.objects.filter(room__in=rooms)


def files(admin: User) -> dict[str, Callable[[], Iterator[list]]]:
    """The zip's CSV files by name, each a function giving its rows."""
    deleted_body = {"body": _unless_deleted("body")}
    return {
        **{f"{name}.csv": (lambda name=name: _list(name, admin)) for name in TABLES},
        "tasks.csv": lambda: dump(Task.objects.all()),
        "comments.csv": lambda: dump(Comment.objects.all(), deleted_body),
        "handoffs.csv": lambda: dump(Handoff.objects.all()),
        "timeline.csv": lambda: dump(TimelineEntry.objects.all()),
        "calendar_events.csv": lambda: dump(
            Event.objects.all(),
            {
                "title": _unless_private("title", "Busy"),
                **{
                    name: _unless_private(name) for name in ("description", "location", "video_url")
                },
            },
        ),
        "chat_messages.csv": lambda: dump(public_messages(), deleted_body),
    }


def build(admin: User, path: Path) -> Path:
    """Write the full export of ``admin`` to ``path`` (via a .part file, renamed when done)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + PARTIAL)
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, rows in files(admin).items():
            entry = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            with (
                archive.open(entry, "w") as raw,
                io.TextIOWrapper(raw, "utf-8", newline="") as text,
            ):
                writers.write_csv(rows(), text)
    partial.rename(path)
    return path
