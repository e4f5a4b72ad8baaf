"""What the chat services share: the permission check, the room lock, checking text,
and the people a room is given (who they are, and telling them)."""

from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import User
from accounts.services import notify
from chat import events, policies
from chat.models import Room


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _lock_room(room: Room) -> Room:
    try:
        return Room.objects.select_for_update().get(pk=room.pk)
    except Room.DoesNotExist:
        raise ValidationError("This room no longer exists.") from None


def _check_text(value, field: str, label: str, max_length: int, *, required=True) -> str:
    """Stripped text, or a readable error: missing, too long, or not storable (NUL, bad UTF-16)."""
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValidationError({field: f"Write {label} first."}, code="empty")
    value = value.strip()
    if len(value) > max_length:
        raise ValidationError(
            {
                field: f"{label.capitalize()} is limited to {max_length:,} characters; "
                f"this one has {len(value):,}."
            },
            code="too_long",
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            {field: f"{label.capitalize()} contains broken characters (lone surrogates)."}
        ) from None
    if "\x00" in value:
        raise ValidationError(
            {field: f"{label.capitalize()} contains a NUL character, which cannot be stored."}
        )
    return value


def _active_people(people) -> list[User]:
    """People given as users or ids; all must be active staff."""
    ids = set()
    for person in people:
        pk = person.pk if isinstance(person, User) else policies.as_pk(person)
        if pk is None:
            raise ValidationError({"members": "Pick people from the list."})
        ids.add(pk)
    found = list(User.objects.filter(pk__in=ids, is_active=True))
    if len(found) != len(ids):
        raise ValidationError({"members": "Pick people who are active in the workspace."})
    return found


def _welcome(actor: User, room: Room, people) -> None:
    """People added by someone else: the room appears in their sidebar, and they are told."""
    events.room_added(room, people)
    for person in people:
        notify(
            recipient=person,
            actor=actor,
            kind="chat",
            text=f"{actor} added you to {room}.",
            link=events.room_link(room),
        )
