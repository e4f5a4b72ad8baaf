"""Every chat write (DESIGN §3): rooms, members, messages, reactions, read state.

The socket's frame handlers (chat/consumers.py), the HTTP views and other
apps' services (system messages) all call these functions. Each checks the
actor's right with chat/policies.py, validates, writes in one transaction and
publishes through chat/events.py.
"""

import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Department, User
from accounts.services import notify
from chat import events, policies
from chat.models import (
    CLIENT_ID_MAX_LENGTH,
    MESSAGE_MAX_LENGTH,
    ROOM_NAME_MAX_LENGTH,
    Membership,
    Message,
    Reaction,
    Room,
)
from records.models import Client
from records.services.comments import resolve_mentions
from workspace.text import render_markdown

# "#[Client name]" (as the composer inserts it) or "#Word" for a one-word name.
CLIENT_REF_RE = re.compile(r"(?<![\w#&])#(?:\[([^\]\n]{1,200})\]|([\w][\w.&-]{0,60}))")
DEPARTMENT_MENTION_RE = re.compile(r"(?<![\w@])@([a-z0-9][a-z0-9_-]{0,79})\b", re.IGNORECASE)
CLIENT_ID_RE = re.compile(rf"^[A-Za-z0-9_-]{{1,{CLIENT_ID_MAX_LENGTH}}}$")
DIRECT_MAX_PEOPLE = 9
DEFAULT_SEND_RATE = ((10, 1), (60, 60))  # at most 10 messages a second, 60 a minute


class RateLimited(ValidationError):
    """Too many messages too fast; nothing was posted. ``retry_after`` is in seconds."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(
            f"You are sending messages too fast. Wait {retry_after} s and send again.",
            code="rate_limited",
        )


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _lock_room(room: Room) -> Room:
    try:
        return Room.objects.select_for_update().get(pk=room.pk)
    except Room.DoesNotExist:
        raise ValidationError("This room no longer exists.") from None


def _lock_message(message: Message) -> Message:
    try:
        return Message.objects.select_for_update().select_related("room").get(pk=message.pk)
    except Message.DoesNotExist:
        raise ValidationError("This message no longer exists.") from None


# --- Rooms ----------------------------------------------------------------------


def open_client_room(*, client: Client) -> Room:
    """The client's room, created on first use (one per client, whoever asks first)."""
    room = Room.objects.filter(client=client).first()
    if room is not None:
        return room
    try:
        with transaction.atomic():
            room = Room(kind=Room.Kind.CLIENT, client=client)
            room.full_clean()
            room.save()
    except IntegrityError:  # created meanwhile by someone else
        return Room.objects.get(client=client)
    return room


def open_department_room(*, department: Department) -> Room:
    """The department's room, created on first use."""
    room = Room.objects.filter(department=department).first()
    if room is not None:
        return room
    try:
        with transaction.atomic():
            room = Room(kind=Room.Kind.DEPARTMENT, department=department)
            room.full_clean()
            room.save()
    except IntegrityError:
        return Room.objects.get(department=department)
    return room


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Give the room a name."})
    if len(name) > ROOM_NAME_MAX_LENGTH:
        raise ValidationError(
            {"name": f"Room names are limited to {ROOM_NAME_MAX_LENGTH} characters."}
        )
    return name


def _active_people(people) -> list[User]:
    ids = {person.pk if isinstance(person, User) else int(person) for person in people}
    found = list(User.objects.filter(pk__in=ids, is_active=True))
    if len(found) != len(ids):
        raise ValidationError({"members": "Pick people who are active in the workspace."})
    return found


def create_room(
    *, actor: User, name: str, description: str = "", private: bool = False, members=()
) -> Room:
    """A group room; the actor owns it. ``members``: people (or ids) to add at once."""
    _require(policies.can_view(actor), "You cannot create rooms.")
    name = _clean_name(name)
    people = [p for p in _active_people(members) if p.pk != actor.pk]
    with transaction.atomic():
        room = Room(
            kind=Room.Kind.GROUP,
            name=name,
            description=" ".join((description or "").split())[:300],
            is_private=bool(private),
            created_by=actor,
        )
        room.full_clean()
        room.save()
        Membership.objects.create(room=room, user=actor, role=Membership.Role.OWNER)
        Membership.objects.bulk_create(Membership(room=room, user=person) for person in people)
        events.room_added(room, [actor, *people])
        for person in people:
            notify(
                recipient=person,
                actor=actor,
                kind="chat",
                text=f"{actor} added you to {room}.",
                link=events.room_link(room),
            )
    return room


def open_direct(*, actor: User, people) -> Room:
    """The direct-message room of the actor and ``people`` (2 to 10 people), made on first use."""
    _require(policies.can_view(actor), "You cannot send direct messages.")
    others = [p for p in _active_people(people) if p.pk != actor.pk]
    if not others:
        raise ValidationError({"members": "Pick at least one other person."})
    if len(others) > DIRECT_MAX_PEOPLE:
        raise ValidationError(
            {"members": f"Direct messages have at most {DIRECT_MAX_PEOPLE + 1} people; "
             "create a private room for more."}
        )
    everyone = sorted([actor, *others], key=lambda person: person.pk)
    key = "-".join(str(person.pk) for person in everyone)
    room = Room.objects.filter(direct_key=key).first()
    if room is not None:
        return room
    try:
        with transaction.atomic():
            room = Room(kind=Room.Kind.DIRECT, is_private=True, direct_key=key, created_by=actor)
            room.full_clean()
            room.save()
            Membership.objects.bulk_create(Membership(room=room, user=p) for p in everyone)
            events.room_added(room, everyone)
    except IntegrityError:  # the same people opened it at the same moment
        return Room.objects.get(direct_key=key)
    return room


def _set_membership(room: Room, person: User, *, member: bool, role=Membership.Role.MEMBER):
    membership, created = Membership.objects.get_or_create(
        room=room, user=person, defaults={"is_member": member, "role": role}
    )
    if not created and membership.is_member != member:
        membership.is_member = member
        if not member:
            membership.role = Membership.Role.MEMBER
        membership.save(update_fields=["is_member", "role"])
        return True
    return created and member


def join_room(*, actor: User, room: Room) -> Room:
    """Follow a client room or a public group room: it shows in the sidebar with unread counts."""
    _require(policies.can_join(actor, room), "You cannot join this room.")
    with transaction.atomic():
        room = _lock_room(room)
        if _set_membership(room, actor, member=True):
            events.members_changed(room, actor=actor, joined=[actor])
            events.room_added(room, [actor])
    return room


def leave_room(*, actor: User, room: Room) -> Room:
    """Stop following a room. A private room cannot be read again without an invitation."""
    _require(policies.can_leave(actor, room), "You cannot leave this room.")
    with transaction.atomic():
        room = _lock_room(room)
        _set_membership(room, actor, member=False)
        events.members_changed(room, actor=actor, left=[actor])
        events.room_removed(room, [actor])
    return room


def add_members(*, actor: User, room: Room, people) -> list[User]:
    """Add people to a group room (its owners and admins); returns those newly added."""
    _require(policies.can_manage_members(actor, room), "Only the room's owners can add people.")
    people = _active_people(people)
    with transaction.atomic():
        room = _lock_room(room)
        added = [person for person in people if _set_membership(room, person, member=True)]
        if added:
            events.members_changed(room, actor=actor, joined=added)
            events.room_added(room, added)
            for person in added:
                notify(
                    recipient=person,
                    actor=actor,
                    kind="chat",
                    text=f"{actor} added you to {room}.",
                    link=events.room_link(room),
                )
    return added


def remove_member(*, actor: User, room: Room, person: User) -> Room:
    """Take someone out of a group room (its owners and admins); a room keeps one owner."""
    _require(policies.can_manage_members(actor, room), "Only the room's owners can remove people.")
    with transaction.atomic():
        room = _lock_room(room)
        membership = Membership.objects.filter(room=room, user=person, is_member=True).first()
        if membership is None:
            raise ValidationError(f"{person} is not in this room.")
        if membership.role == Membership.Role.OWNER and not (
            Membership.objects.filter(room=room, is_member=True, role=Membership.Role.OWNER)
            .exclude(pk=membership.pk)
            .exists()
        ):
            raise ValidationError("A room keeps at least one owner; make someone else owner first.")
        _set_membership(room, person, member=False)
        events.members_changed(room, actor=actor, left=[person])
        events.room_removed(room, [person])
    return room


# --- Messages -------------------------------------------------------------------


def _check_body(body) -> str:
    if not isinstance(body, str) or not body.strip():
        raise ValidationError({"body": "Write a message first."}, code="empty")
    if len(body) > MESSAGE_MAX_LENGTH:
        raise ValidationError(
            {
                "body": f"A message is limited to {MESSAGE_MAX_LENGTH:,} characters; "
                f"this one has {len(body):,}."
            },
            code="too_long",
        )
    return body.strip()


def _check_client_id(client_id) -> str | None:
    if client_id in (None, ""):
        return None
    if not isinstance(client_id, str) or not CLIENT_ID_RE.match(client_id):
        raise ValidationError(
            {"client_id": "A message id is 1 to 64 letters, digits, - or _."}, code="bad_id"
        )
    return client_id


def _check_rate(actor: User) -> None:
    """Refuse a send beyond the per-person limits (DEFAULT_SEND_RATE: count per seconds)."""
    limits = getattr(settings, "CHAT_SEND_RATE", DEFAULT_SEND_RATE)
    if not limits:
        return
    now = timezone.now()
    longest = max(seconds for _, seconds in limits)
    recent = list(
        Message.objects.filter(author=actor, created_at__gt=now - timedelta(seconds=longest))
        .order_by("-created_at")
        .values_list("created_at", flat=True)[: max(count for count, _ in limits)]
    )
    for count, seconds in limits:
        window = [at for at in recent if at > now - timedelta(seconds=seconds)]
        if len(window) >= count:
            oldest = window[count - 1]
            wait = (oldest + timedelta(seconds=seconds) - now).total_seconds()
            raise RateLimited(max(1, int(wait + 0.999)))


def _resolve_clients(body: str) -> list[Client]:
    names = {(m.group(1) or m.group(2)).strip() for m in CLIENT_REF_RE.finditer(body)}
    if not names:
        return []
    query = Q()
    for name in names:
        query |= Q(name__iexact=name)
    found = {}
    for client in Client.objects.filter(query, merged_into__isnull=True).order_by("pk")[:50]:
        found.setdefault(client.name.lower(), client)
    return list(found.values())


def _resolve_departments(body: str) -> list[Department]:
    slugs = {match.group(1).lower() for match in DEPARTMENT_MENTION_RE.finditer(body)}
    return list(Department.objects.filter(slug__in=slugs)) if slugs else []


def _mentioned_people(room: Room, people, departments) -> list[User]:
    """Who a message mentions and may read it: named people and departments' members."""
    found = {person.pk: person for person in people}
    if departments:
        for person in User.objects.filter(departments__in=departments, is_active=True).distinct():
            found.setdefault(person.pk, person)
    return [person for person in found.values() if policies.can_view_room(person, room)]


def _notify_mentions(actor: User, message: Message, people) -> None:
    for person in people:
        notify(
            recipient=person,
            actor=actor,
            kind="mention",
            text=f"{actor} mentioned you in {message.room}.",
            link=events.message_link(message),
        )


def _render(body: str, clients) -> str:
    return events.decorate_references(render_markdown(body), clients)


def post_message(
    *,
    actor: User,
    room: Room,
    body: str,
    client_id: str | None = None,
    parent: Message | None = None,
) -> tuple[Message, bool]:
    """Post ``body`` in ``room`` (a thread reply when ``parent`` is given).

    Returns ``(message, created)``. A send carrying a ``client_id`` the actor
    used before returns the message already posted with it (``created`` is
    False) and publishes nothing: a retried send never creates a duplicate.
    Raises PermissionDenied (no right to post), ValidationError (empty, too
    long, bad id, a deleted thread) or RateLimited.
    """
    client_id = _check_client_id(client_id)
    if client_id is not None:
        sent = Message.objects.filter(author=actor, client_id=client_id).first()
        if sent is not None:
            return sent, False
    _require(policies.can_post(actor, room), "You cannot post in this room.")
    body = _check_body(body)
    try:
        with transaction.atomic():
            return _post(actor, room, body, client_id, parent), True
    except IntegrityError:
        sent = client_id and Message.objects.filter(author=actor, client_id=client_id).first()
        if not sent:
            raise
        return sent, False


def _post(actor, room, body, client_id, parent) -> Message:
    _check_rate(actor)
    room = _lock_room(room)
    if parent is not None:
        parent = _thread_root(parent, room)
    people = resolve_mentions(body)
    departments = _resolve_departments(body)
    clients = _resolve_clients(body)
    room.last_seq += 1
    message = Message(
        room=room,
        seq=room.last_seq,
        author=actor,
        client_id=client_id,
        parent=parent,
        body=body,
        body_html=_render(body, clients),
    )
    message.full_clean()
    message.save()
    message.mentions.set(people)
    message.mentioned_departments.set(departments)
    message.clients.set(clients)
    Room.objects.filter(pk=room.pk).update(last_seq=room.last_seq, last_message_at=message.created_at)
    room.last_message_at = message.created_at
    if parent is not None:
        Message.objects.filter(pk=parent.pk).update(
            reply_count=F("reply_count") + 1, last_reply_at=message.created_at
        )
        parent.refresh_from_db(fields=["reply_count", "last_reply_at"])
    _read_up_to(room, actor, message.seq)
    mentioned = _mentioned_people(room, people, departments)
    events.message_posted(message, parent=parent, mentioned=mentioned)
    _notify_mentions(actor, message, mentioned)
    return message


def _thread_root(parent: Message, room: Room) -> Message:
    if parent.room_id != room.pk:
        raise ValidationError({"parent": "That message is in another room."})
    root = parent if parent.parent_id is None else parent.parent
    root = Message.objects.select_for_update().get(pk=root.pk)
    if root.is_deleted:
        raise ValidationError({"parent": "That message was deleted; the thread is closed."})
    return root


def post_system_message(*, client: Client, text: str) -> Message:
    """A line from the app in the client's room ("Deal won", "Handed off to Sales").

    Called by other services inside their transaction, after their own checks;
    ``text`` is Markdown written by the app (names it includes are escaped by
    the renderer like any text).
    """
    room = open_client_room(client=client)
    with transaction.atomic():
        room = _lock_room(room)
        room.last_seq += 1
        message = Message(
            room=room,
            seq=room.last_seq,
            kind=Message.Kind.SYSTEM,
            body=text[:MESSAGE_MAX_LENGTH],
            body_html=render_markdown(text[:MESSAGE_MAX_LENGTH]),
        )
        message.full_clean()
        message.save()
        Room.objects.filter(pk=room.pk).update(
            last_seq=room.last_seq, last_message_at=message.created_at
        )
        events.message_posted(message, parent=None, mentioned=[])
    return message


def edit_message(*, actor: User, message: Message, body: str) -> Message:
    """Change the text of one's own message; others see it marked "edited", live."""
    _require(policies.can_edit_message(actor, message), "You can only edit your own messages.")
    body = _check_body(body)
    with transaction.atomic():
        message = _lock_message(message)
        if message.is_deleted:
            raise ValidationError("This message was deleted.")
        if body == message.body:
            return message
        before = {person.pk for person in message.mentions.all()}
        people = resolve_mentions(body)
        departments = _resolve_departments(body)
        clients = _resolve_clients(body)
        message.body = body
        message.body_html = _render(body, clients)
        message.edited_at = timezone.now()
        message.full_clean()
        message.save(update_fields=["body", "body_html", "edited_at"])
        message.mentions.set(people)
        message.mentioned_departments.set(departments)
        message.clients.set(clients)
        events.message_changed(message, "chat.message.edited")
        mentioned = _mentioned_people(message.room, people, departments)
        _notify_mentions(actor, message, [p for p in mentioned if p.pk not in before])
    return message


def delete_message(*, actor: User, message: Message) -> Message:
    """Delete a message: its text is gone, a "deleted" placeholder keeps the order and thread."""
    _require(policies.can_delete_message(actor, message), "You cannot delete this message.")
    with transaction.atomic():
        message = _lock_message(message)
        if message.is_deleted:
            return message
        message.deleted_at = timezone.now()
        message.body = ""
        message.body_html = ""
        message.save(update_fields=["deleted_at", "body", "body_html"])
        message.reactions.all().delete()
        message.mentions.clear()
        message.clients.clear()
        events.message_changed(message, "chat.message.deleted")
    return message


def toggle_reaction(*, actor: User, message: Message, emoji: str) -> bool:
    """Add the actor's ``emoji`` to a message, or take it back; returns whether it is on now."""
    if emoji not in Reaction.Emoji.values:
        raise ValidationError(
            {"emoji": f"React with one of {' '.join(Reaction.Emoji.values)}."}, code="bad_emoji"
        )
    _require(policies.can_react(actor, message), "You cannot react in this room.")
    with transaction.atomic():
        message = _lock_message(message)
        removed, _ = Reaction.objects.filter(message=message, user=actor, emoji=emoji).delete()
        if not removed:
            Reaction.objects.create(message=message, user=actor, emoji=emoji)
        events.reactions_changed(message)
    return not removed


# --- Read state -----------------------------------------------------------------


def _read_up_to(room: Room, person: User, seq: int) -> bool:
    """Move the person's read mark forward to ``seq``; True if it moved."""
    membership, created = Membership.objects.get_or_create(
        room=room,
        user=person,
        defaults={"is_member": room.kind == Room.Kind.DEPARTMENT, "last_read_seq": seq},
    )
    if created:
        return True
    return bool(
        Membership.objects.filter(pk=membership.pk, last_read_seq__lt=seq).update(
            last_read_seq=seq
        )
    )


def mark_read(*, actor: User, room: Room, seq: int | None = None) -> bool:
    """The actor has seen ``room`` up to ``seq`` (default: its latest message).

    Their other tabs clear the room's unread badge live. Returns whether the
    read mark moved (reading older messages again changes nothing).
    """
    _require(policies.can_view_room(actor, room), "You cannot read this room.")
    latest = Room.objects.filter(pk=room.pk).values_list("last_seq", flat=True).first() or 0
    if seq is None:
        seq = latest
    if type(seq) is not int or seq < 0:
        raise ValidationError({"seq": "Say up to which message (a whole number)."})
    seq = min(seq, latest)
    with transaction.atomic():
        moved = _read_up_to(room, actor, seq)
        if moved:
            events.room_read(room, actor, seq)
    return moved


# --- From chat to work ------------------------------------------------------------


def highlight_message(*, actor: User, message: Message):
    """Log a client-room message into the client's timeline; returns the TimelineEntry."""
    from records import events as record_events
    from records.models import TimelineEntry
    from records.services.base import _timeline

    _require(policies.can_highlight(actor, message), "Only client-room messages can be logged.")
    with transaction.atomic():
        message = _lock_message(message)
        if message.highlighted_at is not None:
            raise ValidationError("This message is already in the client's timeline.")
        author = message.author or actor
        entry = _timeline(
            actor=actor,
            client_id=message.room.client_id,
            kind=TimelineEntry.Kind.CHAT,
            summary=f"{actor} highlighted a chat message by {author}",
            body=message.body,
            body_html=message.body_html,
            data={"room": message.room_id, "message": message.pk},
        )
        message.highlighted_at = timezone.now()
        message.save(update_fields=["highlighted_at"])
        record_events.publish(
            [record_events.client_topic(message.room.client_id)],
            "chat.highlighted",
            {"id": message.pk, "actor": actor.pk, "timeline": entry.pk},
        )
        events.message_changed(message, "chat.message.highlighted")
    return entry
