"""Every chat write (DESIGN §3): rooms, members, messages, reactions, read state.

The socket's frame handlers (chat/consumers.py), the HTTP views and other
apps' services (system messages) all call these functions. Each checks the
actor's right with chat/policies.py, validates, writes in one transaction and
publishes through chat/events.py.

Lock order, to never deadlock: a room, then a message (a thread's root), then
people (``notify`` locks each recipient). Edits, deletions and reactions lock
only their message.
"""

import functools
import re
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Department, User
from accounts.services import notify
from chat import events, policies, selectors
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
# A line opening with "#Name" or "#[Name]" (up to 3 spaces in, as Markdown allows a heading).
LEADING_REFERENCE_RE = re.compile(r"^( {0,3})#(?=[\[\w])")
FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")
CLIENT_ID_RE = re.compile(rf"^[A-Za-z0-9_-]{{1,{CLIENT_ID_MAX_LENGTH}}}$")
DESCRIPTION_MAX_LENGTH = Room._meta.get_field("description").max_length
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


# --- Rooms ----------------------------------------------------------------------


def _open(**unique) -> Room:
    """The room with these unique fields, created on first use (whoever asks first)."""
    room = Room.objects.filter(**unique).first()
    if room is not None:
        return room
    try:
        with transaction.atomic():
            room = Room(**unique)
            room.full_clean()
            room.save()
    except (IntegrityError, ValidationError):  # created meanwhile by someone else
        room = Room.objects.filter(**unique).first()
        if room is None:
            raise
    return room


def open_client_room(*, client: Client) -> Room:
    """The client's room, created on first use (one per client, open to all staff)."""
    return _open(kind=Room.Kind.CLIENT, client=client)


def open_department_room(*, department: Department) -> Room:
    """The department's room, created on first use (its members are the department's)."""
    return _open(kind=Room.Kind.DEPARTMENT, department=department)


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


def create_room(
    *, actor: User, name: str, description: str = "", private: bool = False, members=()
) -> Room:
    """A group room; the actor owns it. ``members``: people (or ids) to add at once."""
    _require(policies.can_view(actor), "You cannot create rooms.")
    name = " ".join(_check_text(name, "name", "a name", ROOM_NAME_MAX_LENGTH).split())
    description = " ".join(
        _check_text(
            description, "description", "the description", DESCRIPTION_MAX_LENGTH, required=False
        ).split()
    )
    people = [p for p in _active_people(members) if p.pk != actor.pk]
    with transaction.atomic():
        room = Room(
            kind=Room.Kind.GROUP,
            name=name,
            description=description,
            is_private=bool(private),
            created_by=actor,
        )
        room.full_clean()
        room.save()
        Membership.objects.create(room=room, user=actor, role=Membership.Role.OWNER)
        Membership.objects.bulk_create(Membership(room=room, user=person) for person in people)
        events.room_added(room, [actor])
        _welcome(actor, room, people)
    return room


def open_direct(*, actor: User, people) -> Room:
    """The direct-message room of the actor and ``people`` (2 to 10 people), made on first use.

    One room per set of people, whoever opens it and in whatever order.
    """
    _require(policies.can_view(actor), "You cannot send direct messages.")
    others = [p for p in _active_people(people) if p.pk != actor.pk]
    if not others:
        raise ValidationError({"members": "Pick at least one other person."})
    if len(others) > DIRECT_MAX_PEOPLE:
        raise ValidationError(
            {
                "members": f"Direct messages have at most {DIRECT_MAX_PEOPLE + 1} people; "
                "create a private room for more."
            }
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
    except (IntegrityError, ValidationError):  # the same people opened it at the same moment
        room = Room.objects.filter(direct_key=key).first()
        if room is None:
            raise
    return room


def _set_membership(room: Room, person: User, *, member: bool) -> bool:
    """Make ``person`` follow the room or not (keeping their read state); True if it changed."""
    membership, created = Membership.objects.get_or_create(
        room=room, user=person, defaults={"is_member": member}
    )
    if not created and membership.is_member != member:
        membership.is_member = member
        membership.role = Membership.Role.MEMBER
        membership.joined_at = timezone.now()
        membership.save(update_fields=["is_member", "role", "joined_at"])
        return True
    return created and member


def _member_row(room: Room, person: User) -> Membership:
    membership = Membership.objects.filter(room=room, user=person, is_member=True).first()
    if membership is None:
        raise ValidationError(f"{person} is not in this room.")
    return membership


def _is_last_owner(membership: Membership) -> bool:
    return (
        membership.role == Membership.Role.OWNER
        and not Membership.objects.filter(
            room_id=membership.room_id, is_member=True, role=Membership.Role.OWNER
        )
        .exclude(pk=membership.pk)
        .exists()
    )


def _changes_members(service):
    """The caller's room instance forgets the memberships policies looked up on it: they
    change, and a later check on the same instance (join, then post) must see the change."""

    @functools.wraps(service)
    def wrapper(*, room: Room, **kwargs):
        try:
            return service(room=room, **kwargs)
        finally:
            policies.forget_memberships(room)

    return wrapper


@_changes_members
def join_room(*, actor: User, room: Room) -> Room:
    """Follow a client room or a public group room: it shows in the sidebar with unread counts.

    Joining a room one already follows changes nothing (a second click).
    """
    with transaction.atomic():
        room = _lock_room(room)
        if policies.is_member(actor, room):
            return room
        _require(policies.can_join(actor, room), "You cannot join this room.")
        _set_membership(room, actor, member=True)
        events.members_changed(room, actor=actor, joined=[actor])
        events.room_added(room, [actor])
    return room


@_changes_members
def leave_room(*, actor: User, room: Room) -> Room:
    """Stop following a room. A private room cannot be read again without an invitation.

    When the last owner leaves, the longest-standing member becomes owner, so a
    room with people in it always has someone who manages it. Leaving a room
    one is not in changes nothing (a second click).
    """
    with transaction.atomic():
        room = _lock_room(room)
        if not policies.is_member(actor, room):
            return room
        _require(policies.can_leave(actor, room), "You cannot leave this room.")
        membership = Membership.objects.get(room=room, user=actor)
        if _is_last_owner(membership):
            heir = (
                Membership.objects.filter(room=room, is_member=True)
                .exclude(pk=membership.pk)
                .order_by("joined_at", "pk")
                .first()
            )
            if heir is not None:
                Membership.objects.filter(pk=heir.pk).update(role=Membership.Role.OWNER)
        _set_membership(room, actor, member=False)
        events.members_changed(room, actor=actor, left=[actor])
        events.room_removed(room, [actor])
    return room


@_changes_members
def add_members(*, actor: User, room: Room, people) -> list[User]:
    """Add people to a group room (its owners and admins); returns those newly added."""
    _require(policies.can_manage_members(actor, room), "Only the room's owners can add people.")
    people = _active_people(people)
    with transaction.atomic():
        room = _lock_room(room)
        added = [person for person in people if _set_membership(room, person, member=True)]
        if added:
            events.members_changed(room, actor=actor, joined=added)
            _welcome(actor, room, added)
    return added


@_changes_members
def remove_member(*, actor: User, room: Room, person: User) -> Room:
    """Take someone out of a group room (its owners and admins); a room keeps one owner."""
    _require(policies.can_manage_members(actor, room), "Only the room's owners can remove people.")
    with transaction.atomic():
        room = _lock_room(room)
        if _is_last_owner(_member_row(room, person)):
            raise ValidationError("A room keeps at least one owner; make someone else owner first.")
        _set_membership(room, person, member=False)
        events.members_changed(room, actor=actor, left=[person])
        events.room_removed(room, [person])
    return room


@_changes_members
def set_member_role(*, actor: User, room: Room, person: User, role: str) -> Membership:
    """Make a member of a group room an owner, or an owner a member again (owners and admins)."""
    _require(policies.can_manage_members(actor, room), "Only the room's owners can change roles.")
    if role not in Membership.Role.values:
        raise ValidationError({"role": "Pick owner or member."})
    with transaction.atomic():
        room = _lock_room(room)
        membership = _member_row(room, person)
        if membership.role == role:
            return membership
        if _is_last_owner(membership):
            raise ValidationError("A room keeps at least one owner; make someone else owner first.")
        membership.role = role
        membership.save(update_fields=["role"])
        events.members_changed(room, actor=actor)
    return membership


# --- Messages -------------------------------------------------------------------


class Draft(NamedTuple):
    """A message's text and what it refers to, worked out before the room is locked."""

    body: str
    html: str
    people: list[User]
    departments: list[Department]
    clients: list[Client]


def _check_body(body) -> str:
    return _check_text(body, "body", "a message", MESSAGE_MAX_LENGTH)


def _check_client_id(client_id) -> str | None:
    if client_id in (None, ""):
        return None
    if not isinstance(client_id, str) or not CLIENT_ID_RE.match(client_id):
        raise ValidationError(
            {"client_id": f"A message id is 1 to {CLIENT_ID_MAX_LENGTH} letters, digits, - or _."},
            code="bad_id",
        )
    return client_id


def _check_rate(actor: User) -> None:
    """Refuse a send beyond the per-person limits (``CHAT_SEND_RATE``: (count, seconds) pairs)."""
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
            # A send is allowed again once the count-th latest leaves the window.
            wait = (window[count - 1] + timedelta(seconds=seconds) - now).total_seconds()
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


def _references_not_headings(body: str) -> str:
    """Markdown without a space after ``#`` still makes a heading: a message opening with
    ``#Acme`` would be a huge title. Escape that ``#`` (outside fenced code) for rendering."""
    lines, fenced = body.split("\n"), False
    for index, line in enumerate(lines):
        if FENCE_RE.match(line):
            fenced = not fenced
        elif not fenced:
            lines[index] = LEADING_REFERENCE_RE.sub(r"\1\\#", line)
    return "\n".join(lines)


def _draft(body) -> Draft:
    body = _check_body(body)
    clients = _resolve_clients(body)
    html = render_markdown(_references_not_headings(body))
    return Draft(
        body=body,
        html=events.decorate_references(html, clients),
        people=resolve_mentions(body),
        departments=_resolve_departments(body),
        clients=clients,
    )


def _mentioned(room: Room, draft: Draft, actor: User) -> list[User]:
    """Whom a message mentions: people named, and members of departments named -- only
    those who may read the room (a private room's @department reaches its members alone)."""
    named = Q(pk__in=[person.pk for person in draft.people])
    if draft.departments:
        named |= Q(departments__in=draft.departments)
    return list(policies.readers(room).filter(named).exclude(pk=actor.pk).distinct().order_by("pk"))


def _notify_mentions(actor: User, message: Message, people) -> None:
    for person in people:
        notify(
            recipient=person,
            actor=actor,
            kind="mention",
            text=f"{actor} mentioned you in {message.room}.",
            link=events.message_link(message),
        )


def _set_references(message: Message, draft: Draft, mentioned, *, new: bool = False) -> None:
    """Store who and what a message names; a new message only adds (no rows to compare)."""
    for related, values in (
        (message.mentions, mentioned),
        (message.mentioned_departments, draft.departments),
        (message.clients, draft.clients),
    ):
        if not new:
            related.set(values)
        elif values:
            related.add(*values)


def _sent_before(actor: User, room: Room, client_id: str | None) -> Message | None:
    """The message this send already made (a retry), if any."""
    if client_id is None:
        return None
    sent = Message.objects.filter(author=actor, client_id=client_id).first()
    if sent is not None and sent.room_id != room.pk:
        raise ValidationError(
            {"client_id": "This message id was used in another room; make a new one."},
            code="bad_id",
        )
    return sent


def _thread_root(parent, room: Room) -> Message:
    """The locked root of the thread ``parent`` (a message or its id) is in.

    A reply to a reply joins the root's thread: threads are one level deep.
    """
    pk = parent.pk if isinstance(parent, Message) else policies.as_pk(parent)
    found = Message.objects.filter(pk=pk, room=room).values_list("pk", "parent_id").first()
    if found is None:
        raise ValidationError({"parent": "Reply to a message of this room."})
    root = Message.objects.select_for_update().get(pk=found[1] or found[0])
    if root.is_deleted:
        raise ValidationError({"parent": "That message was deleted; its thread is closed."})
    return root


def post_message(
    *,
    actor: User,
    room: Room,
    body: str,
    client_id: str | None = None,
    parent: Message | int | None = None,
) -> tuple[Message, bool]:
    """Post ``body`` in ``room`` (a thread reply when ``parent``, a message or its id, is given).

    Returns ``(message, created)``. A send carrying a ``client_id`` the actor
    used before in this room returns the message already posted with it
    (``created`` is False) and publishes nothing: a retried send never creates
    a duplicate, even when both copies arrive at once (the room lock
    serializes them). Raises PermissionDenied (no right to post: not a member,
    left the room), ValidationError (empty, too long, bad id, a parent in
    another room or a deleted thread) or RateLimited (nothing saved).
    """
    client_id = _check_client_id(client_id)
    _require(policies.can_post(actor, room), "You cannot post in this room.")
    draft = _draft(body)
    try:
        with transaction.atomic():
            room = _lock_room(room)
            sent = _sent_before(actor, room, client_id)
            if sent is not None:
                return sent, False
            _check_rate(actor)
            root = None if parent is None else _thread_root(parent, room)
            return _post(actor, room, draft, client_id, root), True
    except IntegrityError:  # the same id sent to two rooms at once
        sent = _sent_before(actor, room, client_id)
        if sent is None:
            raise
        return sent, False


def _post(actor: User, room: Room, draft: Draft, client_id, root) -> Message:
    room.last_seq += 1
    message = Message(
        room=room,
        seq=room.last_seq,
        author=actor,
        client_id=client_id,
        parent=root,
        body=draft.body,
        body_html=draft.html,
    )
    # Room, author and thread root are rows this send holds; the lock and the database
    # hold the constraints.
    message.full_clean(exclude=["room", "author", "parent"], validate_constraints=False)
    message.save()
    mentioned = _mentioned(room, draft, actor)
    _set_references(message, draft, mentioned, new=True)
    Room.objects.filter(pk=room.pk).update(
        last_seq=room.last_seq, last_message_at=message.created_at
    )
    room.last_message_at = message.created_at
    if root is not None:
        Message.objects.filter(pk=root.pk).update(
            reply_count=F("reply_count") + 1, last_reply_at=message.created_at
        )
        root.refresh_from_db(fields=["reply_count", "last_reply_at"])
    _read_up_to(room, actor, message.seq)
    selectors.just_posted(message, mentioned=mentioned, departments=draft.departments)
    events.message_posted(message, parent=root, mentioned=mentioned)
    _notify_mentions(actor, message, mentioned)
    return message


def post_system_message(*, client: Client, text: str) -> Message:
    """A line from the app in the client's room ("Deal won", "Handed off to Sales").

    Called by other services inside their transaction, after their own checks;
    ``text`` is Markdown written by the app (names it includes are escaped by
    the renderer like any text), clipped to the message limit.
    """
    if isinstance(text, str):
        text = text.strip()[:MESSAGE_MAX_LENGTH]
    text = _check_body(text)
    room = open_client_room(client=client)
    with transaction.atomic():
        room = _lock_room(room)
        room.last_seq += 1
        message = Message(
            room=room,
            seq=room.last_seq,
            kind=Message.Kind.SYSTEM,
            body=text,
            body_html=render_markdown(text),
        )
        message.full_clean(validate_constraints=False)
        message.save()
        Room.objects.filter(pk=room.pk).update(
            last_seq=room.last_seq, last_message_at=message.created_at
        )
        events.message_posted(selectors.just_posted(message), parent=None, mentioned=[])
    return message


def edit_message(*, actor: User, message: Message, body: str) -> Message:
    """Change the text of one's own message; others see it marked "edited", live.

    People it newly mentions are notified; those mentioned before are not told again.
    """
    _require(policies.can_edit_message(actor, message), "You can only edit your own messages.")
    draft = _draft(body)
    with transaction.atomic():
        message = _lock_message(message)
        if message.is_deleted:
            raise ValidationError("This message was deleted.")
        if draft.body == message.body:
            return message
        before = set(message.mentions.values_list("pk", flat=True))
        message.body = draft.body
        message.body_html = draft.html
        message.edited_at = timezone.now()
        message.full_clean(validate_constraints=False)
        message.save(update_fields=["body", "body_html", "edited_at"])
        mentioned = _mentioned(message.room, draft, actor)
        _set_references(message, draft, mentioned)
        events.message_changed(message, "chat.message.edited")
        _notify_mentions(actor, message, [p for p in mentioned if p.pk not in before])
    return message


def delete_message(*, actor: User, message: Message) -> Message:
    """Delete a message: its text is gone, a "deleted" placeholder keeps the order and thread.

    Its reactions and references go too (no unread mention is left pointing at it).
    Deleting a deleted message changes nothing.
    """
    if message.is_deleted:  # a second click
        return message
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
        message.mentioned_departments.clear()
        message.clients.clear()
        events.message_changed(message, "chat.message.deleted")
    return message


def toggle_reaction(*, actor: User, message: Message, emoji: str) -> bool:
    """Add the actor's ``emoji`` to a message, or take it back; returns whether it is on now."""
    _require(policies.can_react(actor, message), "You cannot react in this room.")
    if emoji not in Reaction.Emoji.values:
        raise ValidationError(
            {"emoji": f"React with one of {' '.join(Reaction.Emoji.values)}."}, code="bad_emoji"
        )
    with transaction.atomic():
        message = _lock_message(message)
        if message.is_deleted:
            raise ValidationError("This message was deleted.")
        removed, _ = Reaction.objects.filter(message=message, user=actor, emoji=emoji).delete()
        if not removed:
            reaction = Reaction(message=message, user=actor, emoji=emoji)
            reaction.full_clean(validate_constraints=False)  # the message lock holds them
            reaction.save()
        events.reactions_changed(message)
    return not removed


# --- Read state -----------------------------------------------------------------


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


# --- From chat to work ------------------------------------------------------------


def highlight_message(*, actor: User, message: Message):
    """Log a client-room message into the client's timeline; returns the TimelineEntry.

    The entry keeps a copy of the text: deleting the message later leaves it
    in the timeline, like any history.
    """
    from records import events as record_events
    from records.models import TimelineEntry
    from records.services.base import _timeline

    _require(policies.can_highlight(actor, message), "Only client-room messages can be logged.")
    with transaction.atomic():
        message = _lock_message(message)
        if message.is_deleted:
            raise ValidationError("This message was deleted.")
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
