"""Read state: one number per member (``last_read_seq``), moved forward by reading."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from chat import events, policies
from chat.models import Membership, Room
from chat.services.base import _require


def _read_up_to(room: Room, person: User, seq: int) -> bool:
    """Move the person's read mark forward to ``seq``; True if it moved.

    Reading a room one does not follow (a client room) leaves a row that keeps
    only the read state (``is_member`` False).
    """
    mine = Membership.objects.filter(room=room, user=person)
    if mine.filter(last_read_seq__lt=seq).update(last_read_seq=seq):
        return True
    _, created = Membership.objects.get_or_create(
        room=room,
        user=person,
        defaults={"is_member": room.kind == Room.Kind.DEPARTMENT, "last_read_seq": seq},
    )
    return created and seq > 0


def mark_read(*, actor: User, room: Room, seq: int | None = None) -> bool:
    """The actor has seen ``room`` up to ``seq`` (default: its latest message).

    Their other tabs clear the room's unread badge live. Returns whether the
    read mark moved (reading older messages again changes nothing). A ``seq``
    beyond the room's last message counts as the last.
    """
    _require(policies.can_view_room(actor, room), "You cannot read this room.")
    if seq is not None and (type(seq) is not int or seq < 0):
        raise ValidationError({"seq": "Say up to which message (a whole number)."})
    latest = Room.objects.filter(pk=room.pk).values_list("last_seq", flat=True).first() or 0
    seq = latest if seq is None else min(seq, latest)
    with transaction.atomic():
        moved = _read_up_to(room, actor, seq)
        if moved:
            events.room_read(room, actor, seq)
    return moved
