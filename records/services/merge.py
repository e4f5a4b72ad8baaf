"""Merging two clients that are the same company: one survives, the other is archived.

Nothing is deleted: the losing client keeps its row (archived, ``merged_into``
the survivor, so its old links lead there) and its own audit rows; everything
hanging off it moves to the survivor.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from records import events, policies
from records.models import Client, Comment, Contact, Deal, Ticket, TimelineEntry
from records.services.base import (
    CUSTOM_PREFIX,
    _assign,
    _audit,
    _current,
    _require,
)
from records.services.counts import recount_open_work
from records.timeline import add_entry

# Fields a merge can take from the losing client (custom fields too, as "custom.<key>").
MERGE_FIELDS = (
    "name",
    "domain",
    "industry",
    "country",
    "size",
    "phone",
    "address",
    "tags",
    "lifecycle",
    "source",
    "owner",
    "department",
)
SIDES = ("survivor", "loser")
SELF_MERGE = "A client cannot be merged with itself."

# What moves from the loser to the survivor: (one, many) as people read them, and the model.
MOVED = (
    ("contact", "contacts", Contact),
    ("deal", "deals", Deal),
    ("ticket", "tickets", Ticket),
    ("comment", "comments", Comment),
    ("timeline entry", "timeline entries", TimelineEntry),
)


def mergeable_fields(*clients: Client) -> list[str]:
    """The fields a merge of ``clients`` chooses between: MERGE_FIELDS and every custom key set."""
    keys = sorted({key for client in clients for key in client.custom_values})
    return [*MERGE_FIELDS, *(f"{CUSTOM_PREFIX}{key}" for key in keys)]


def moved_counts(client: Client) -> dict[str, int]:
    """How many of each kind of record a merge would move away from ``client``."""
    return {many: model.objects.filter(client=client).count() for _, many, model in MOVED}


def check_mergeable(*, actor: User, survivor: Client, loser: Client) -> None:
    """Refuse (PermissionDenied or ValidationError, readable) a merge that cannot happen.

    The merge page asks before showing its form; ``merge_clients`` asks again
    under the lock.
    """
    if survivor.pk == loser.pk:
        raise ValidationError(SELF_MERGE)
    for client in (survivor, loser):
        _require(
            policies.can_manage_client(actor, client),
            f"Only {client}'s owner, its department's managers and admins can merge it.",
        )
        if client.merged_into_id:
            raise ValidationError(f"{client} was already merged into another client.")


def merge_clients(
    *, actor: User, survivor: Client, loser: Client, choices: dict[str, str] | None = None
) -> Client:
    """Merge ``loser`` into ``survivor``; ``choices`` maps a field to the side whose value stays.

    Fields not named keep the survivor's value. Both rows are locked (in id
    order, so two opposite merges cannot deadlock) and re-checked under the
    lock: a client merged meanwhile is refused, and nothing is written.
    """
    if survivor.pk == loser.pk:  # before locking: the pair would be one row
        raise ValidationError(SELF_MERGE)
    with transaction.atomic():
        survivor, loser = _lock_pair(survivor, loser)
        check_mergeable(actor=actor, survivor=survivor, loser=loser)
        changes = _take_values(actor, survivor, loser, _fields_to_take(survivor, loser, choices))
        moved = {
            many: model.objects.filter(client=loser).update(client=survivor)
            for _, many, model in MOVED
        }
        recount_open_work([survivor.pk, loser.pk])
        _retire(actor, loser, survivor)
        entry = _merge_entries(actor, survivor, loser, moved, changes)
        events.publish(
            [
                events.client_topic(loser.pk),
                events.client_topic(survivor.pk),
                events.list_topic("clients"),
            ],
            "client.merged",
            {
                "survivor": survivor.pk,
                "loser": loser.pk,
                "actor": actor.pk,
                "fields": [change.field for change in changes],
                "timeline": entry.pk,
            },
        )
    return survivor


def moved_words(moved: dict[str, int]) -> list[tuple[int, str]]:
    """``{"contacts": 3, "deals": 1, ...}`` → ``[(3, "contacts"), (1, "deal"), ...]``."""
    return [(moved.get(many, 0), one if moved.get(many) == 1 else many) for one, many, _ in MOVED]


def describe_moved(moved: dict[str, int]) -> str:
    """``{"contacts": 3, "deals": 1, ...}`` → ``"3 contacts, 1 deal"`` (nothing: ``"nothing"``)."""
    return ", ".join(f"{count} {what}" for count, what in moved_words(moved) if count) or "nothing"


def _lock_pair(survivor: Client, loser: Client) -> tuple[Client, Client]:
    rows = Client.objects.select_for_update().filter(pk__in=[survivor.pk, loser.pk]).order_by("pk")
    locked = {client.pk: client for client in rows}
    if len(locked) != 2:
        raise ValidationError("One of the two clients was deleted by someone else.")
    return locked[survivor.pk], locked[loser.pk]


def _fields_to_take(survivor: Client, loser: Client, choices) -> list[str]:
    """The fields whose value comes from the loser (and differs); ValidationError on bad input."""
    choices = dict(choices or {})
    allowed = mergeable_fields(survivor, loser)
    unknown = sorted(field for field in choices if field not in allowed)
    if unknown:
        raise ValidationError(f"These fields cannot be merged: {', '.join(unknown)}.")
    bad = sorted(field for field, side in choices.items() if side not in SIDES)
    if bad:
        raise ValidationError(f"Pick which client's value to keep for: {', '.join(bad)}.")
    return [
        field
        for field in allowed
        if choices.get(field) == "loser" and _current(loser, field) != _current(survivor, field)
    ]


def _take_values(actor, survivor: Client, loser: Client, fields: list[str]) -> list:
    """Give ``survivor`` the loser's value of ``fields``; one audit row each."""
    if not fields:
        return []
    old = {field: _current(survivor, field) for field in fields}
    for field in fields:
        _assign(survivor, field, _current(loser, field))
    survivor.updated_at = timezone.now()
    survivor.full_clean()
    survivor.save()
    return [
        _audit(
            actor=actor, obj=survivor, field=field, old=old[field], new=_current(survivor, field)
        )
        for field in fields
    ]


def _retire(actor, loser: Client, survivor: Client) -> None:
    was_archived = loser.archived
    loser.archived = True
    loser.merged_into = survivor
    loser.updated_at = timezone.now()
    loser.save(update_fields=["archived", "merged_into", "updated_at"])
    if not was_archived:
        _audit(actor=actor, obj=loser, field="archived", old=False, new=True)


def _merge_entries(actor, survivor: Client, loser: Client, moved: dict, changes: list):
    """The merge on both timelines; returns the survivor's entry."""
    what = describe_moved(moved)
    data = {
        "survivor": survivor.pk,
        "loser": loser.pk,
        "moved": moved,
        "changes": [change.pk for change in changes],
    }
    add_entry(
        actor=actor,
        client_id=loser.pk,
        kind=TimelineEntry.Kind.MERGE,
        summary=f"{actor} merged {loser} into {survivor} (moved {what})",
        data=data,
    )
    return add_entry(
        actor=actor,
        client_id=survivor.pk,
        kind=TimelineEntry.Kind.MERGE,
        summary=f"{actor} merged {loser} into this client (moved {what})",
        data=data,
    )
