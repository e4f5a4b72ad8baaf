"""Who may see and do what in chat (DESIGN §6).

The same functions guard the pages, the socket (topic subscriptions and the
frames chat takes), search, notifications and the services. Private rooms and
direct messages are visible to their members alone: every lookup goes through
``access_room``/``access_message``, which answer one "not found" for a room
that does not exist and for one the person may not see.
"""

from django.http import Http404

from chat.models import Membership, Message, Room
from records.policies import can_view, in_department


def _membership(user, room: Room) -> Membership | None:
    """The person's membership row in ``room`` (cached on the room for one request)."""
    cache = room.__dict__.setdefault("_chat_memberships", {})
    if user.pk not in cache:
        cache[user.pk] = Membership.objects.filter(room=room, user=user).first()
    return cache[user.pk]


def is_member(user, room: Room) -> bool:
    """A member: in a department's room by being in the department, else by a row."""
    if room.kind == Room.Kind.DEPARTMENT:
        return in_department(user, room.department_id)
    membership = _membership(user, room)
    return membership is not None and membership.is_member


def can_view_room(user, room: Room) -> bool:
    if not can_view(user) or room.archived_at is not None:
        return False
    if room.is_open_to_all:
        return True
    return is_member(user, room)


def can_post(user, room: Room) -> bool:
    """Open rooms take posts from all staff; other rooms from their members."""
    return can_view_room(user, room) and (room.kind == Room.Kind.CLIENT or is_member(user, room))


def can_join(user, room: Room) -> bool:
    return room.is_open_to_all and can_view(user) and not is_member(user, room)


def can_leave(user, room: Room) -> bool:
    """Group and client rooms can be left; a department room follows the department."""
    return room.kind in (Room.Kind.GROUP, Room.Kind.CLIENT) and is_member(user, room)


def can_manage_members(user, room: Room) -> bool:
    """Group rooms: their owners and admins. Direct messages gain people by a new room."""
    if room.kind != Room.Kind.GROUP or not can_view(user):
        return False
    if user.is_admin:
        return True
    membership = _membership(user, room)
    return bool(membership and membership.is_member and membership.role == Membership.Role.OWNER)


def can_edit_message(user, message: Message) -> bool:
    return (
        message.kind == Message.Kind.USER
        and message.author_id == user.pk
        and not message.is_deleted
        and can_post(user, message.room)
    )


def can_delete_message(user, message: Message) -> bool:
    """Authors delete their own; admins and group-room owners moderate."""
    if message.kind != Message.Kind.USER or message.is_deleted:
        return False
    if message.author_id == user.pk:
        return can_view_room(user, message.room)
    return can_manage_members(user, message.room)


def can_react(user, message: Message) -> bool:
    return not message.is_deleted and can_post(user, message.room)


def can_highlight(user, message: Message) -> bool:
    """Log a message into its client's timeline: client rooms, by anyone who may post."""
    return (
        message.room.kind == Room.Kind.CLIENT
        and message.kind == Message.Kind.USER
        and not message.is_deleted
        and can_post(user, message.room)
    )


# --- Lookups: the object, or one 404 for missing and forbidden alike -----------


def access_room(user, pk) -> Room:
    try:
        room = Room.objects.select_related("client", "department").get(pk=pk)
    except (Room.DoesNotExist, ValueError, TypeError):
        raise Http404("No such room.") from None
    if not can_view_room(user, room):
        raise Http404("No such room.")
    return room


def access_message(user, pk) -> Message:
    try:
        message = Message.objects.select_related("room", "author").get(pk=pk)
    except (Message.DoesNotExist, ValueError, TypeError):
        raise Http404("No such message.") from None
    if not can_view_room(user, message.room):
        raise Http404("No such message.")
    return message


# --- Live topics (registered in chat/events.py) ---------------------------------


def can_follow_room(user, key: str) -> bool:
    if not key.isdigit() or not can_view(user):
        return False
    room = Room.objects.select_related("department").filter(pk=int(key)).first()
    return room is not None and can_view_room(user, room)
