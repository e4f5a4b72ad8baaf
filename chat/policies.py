"""Who may see and do what in chat (DESIGN §6).

The same functions guard the pages, the socket (topic subscriptions and the
frames chat takes), search, notifications and the services. Private rooms and
direct messages are visible to their members alone: every lookup goes through
``access_room``/``access_message``, which answer one "not found" for a room
that does not exist and for one the person may not see.

* Reading: client rooms and public group rooms, all staff; a department's
  room, its members; private group rooms and direct messages, their members.
  **Admins are no exception**: being an admin never opens a private room or a
  direct message (nor mentions or notifications from one).
* Posting: client rooms, all staff (joining only adds the room to one's
  sidebar); every other room, its members -- someone who left a public room
  joins again to post.
* Moderating (deleting others' messages; in group rooms, managing members):
  a group room's owners, and admins in any room they can read but a direct
  message. So an admin manages every public group room and the private rooms
  they are in, never one they cannot see.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import User
from chat.models import Membership, Message, Room
from records.policies import can_view, in_department


def active_actor(user) -> User:
    """The person as stored now, for a socket's frame: a deactivated person's open tab
    (signed in when it connected) cannot write."""
    actor = next(iter(User.objects.filter(pk=user.pk, is_active=True).order_by()[:1]), None)
    if actor is None:
        raise PermissionDenied("Your account is no longer active.")
    return actor


def _membership(user, room: Room) -> Membership | None:
    """The person's membership row in ``room`` (cached on the room for one request)."""
    cache = room.__dict__.setdefault("_chat_memberships", {})
    if user.pk not in cache:
        cache[user.pk] = Membership.objects.filter(room=room, user=user).first()
    return cache[user.pk]


def remember_membership(room: Room, user, membership: Membership | None) -> None:
    """Tell ``_membership`` the person's row in ``room`` (None: none), read with the room."""
    room.__dict__.setdefault("_chat_memberships", {})[user.pk] = membership


def forget_memberships(room: Room) -> None:
    """Drop what ``_membership`` remembered on this instance (after members changed)."""
    room.__dict__.pop("_chat_memberships", None)


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


def readers(room: Room):
    """The people who may read ``room`` (``can_view_room`` as one query): whom to notify."""
    people = User.objects.filter(is_active=True)
    if room.archived_at is not None:
        return people.none()
    if room.is_open_to_all:
        return people
    if room.kind == Room.Kind.DEPARTMENT:
        return people.filter(departments=room.department_id)
    return people.filter(chat_memberships__room=room, chat_memberships__is_member=True)


def can_post(user, room: Room) -> bool:
    """Client rooms take posts from all staff; other rooms from their members."""
    return can_view_room(user, room) and (room.kind == Room.Kind.CLIENT or is_member(user, room))


def can_join(user, room: Room) -> bool:
    return room.is_open_to_all and can_view_room(user, room) and not is_member(user, room)


def can_leave(user, room: Room) -> bool:
    """Group and client rooms can be left; a department room follows the department."""
    return room.kind in (Room.Kind.GROUP, Room.Kind.CLIENT) and is_member(user, room)


def is_owner(user, room: Room) -> bool:
    membership = _membership(user, room)
    return bool(membership and membership.is_member and membership.role == Membership.Role.OWNER)


def can_moderate(user, room: Room) -> bool:
    """Delete others' messages: group owners, and admins in rooms they can read but a DM."""
    if room.kind == Room.Kind.DIRECT or not can_view_room(user, room):
        return False
    return user.is_admin or is_owner(user, room)


def can_manage_members(user, room: Room) -> bool:
    """Add, remove, promote: group rooms' moderators. Direct messages gain people by a new room."""
    return room.kind == Room.Kind.GROUP and can_moderate(user, room)


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
    return can_moderate(user, message.room)


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


def as_pk(value) -> int | None:
    """An id from a URL, a form or a socket frame: a positive whole number, else None.

    Strict, so ``1.5``, ``true`` or ``"٣"`` never find row 1 or 3.
    """
    if isinstance(value, str) and value.isascii() and value.isdecimal():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def access_room(user, pk) -> Room:
    room = Room.objects.select_related("client", "department").filter(pk=as_pk(pk)).first()
    if room is None or not can_view_room(user, room):
        raise Http404("No such room.")
    return room


def access_message(user, pk) -> Message:
    message = Message.objects.select_related("room", "author").filter(pk=as_pk(pk)).first()
    if message is None or not can_view_room(user, message.room):
        raise Http404("No such message.")
    return message


# --- Live topics (registered in chat/events.py) ---------------------------------


def can_follow_room(user, key: str) -> bool:
    pk = as_pk(key)
    if pk is None or not can_view(user):
        return False
    room = Room.objects.filter(pk=pk).first()
    return room is not None and can_view_room(user, room)


def _can_follow_rooms(pairs: list[tuple[User, str]]) -> list[bool]:
    """``can_follow_room`` for many (user, key) at once (workspace/live/policies.py):
    one query for the rooms (and, for rooms not open to all, one per member check)."""
    pks = {pk for _, key in pairs if (pk := as_pk(key)) is not None and pk < 2**63}
    rooms = Room.objects.in_bulk(pks)
    answers = []
    for user, key in pairs:
        room = rooms.get(as_pk(key))
        answers.append(room is not None and can_view(user) and can_view_room(user, room))
    return answers


can_follow_room.many = _can_follow_rooms
