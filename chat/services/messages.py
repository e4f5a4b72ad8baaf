"""Messages: posting (with retries, threads, rate limits, mentions and ``#client``
references), the app's system lines, editing, deleting, reactions, and logging a
message to the client's timeline.

Edits, deletions and reactions lock only their message.
"""

import re
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connections, transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone

from accounts.models import Department, User
from accounts.services import notify
from chat import events, policies, selectors
from chat.models import (
    CLIENT_ID_MAX_LENGTH,
    MESSAGE_MAX_LENGTH,
    Membership,
    Message,
    Reaction,
    Room,
)
from chat.services.base import _check_text, _lock_room, _require
from chat.services.reading import _read_up_to
from chat.services.rooms import open_client_room
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
DEFAULT_SEND_RATE = ((10, 1), (60, 60))  # at most 10 messages a second, 60 a minute


class RateLimited(ValidationError):
    """Too many messages too fast; nothing was posted. ``retry_after`` is in seconds."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(
            f"You are sending messages too fast. Wait {retry_after} s and send again.",
            code="rate_limited",
        )


class ParentNotFound(ValidationError):
    """A reply to a message that is not in the room (or does not exist)."""

    def __init__(self):
        super().__init__({"parent": "Reply to a message of this room."}, code="no_parent")


def _lock_message(message: Message) -> Message:
    try:
        return Message.objects.select_for_update().select_related("room").get(pk=message.pk)
    except Message.DoesNotExist:
        raise ValidationError("This message no longer exists.") from None


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


def _send_rate() -> tuple[tuple[int, int], ...]:
    """The per-person limits: (count, seconds) pairs (``CHAT_SEND_RATE``)."""
    return tuple(getattr(settings, "CHAT_SEND_RATE", DEFAULT_SEND_RATE) or ())


def _check_rate(actor: User) -> None:
    """Refuse a send beyond the per-person limits (``_send_rate``)."""
    limits = _send_rate()
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
    if not (draft.people or draft.departments):
        return []  # most messages name nobody: no query to build
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


def _sent_before(actor: User, room_id: int, client_id: str | None) -> Message | None:
    """The message this send already made (a retry), if any."""
    if client_id is None:
        return None
    sent = Message.objects.filter(author=actor, client_id=client_id).first()
    if sent is not None and sent.room_id != room_id:
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
        raise ParentNotFound
    root = Message.objects.select_for_update().get(pk=found[1] or found[0])
    if root.is_deleted:
        raise ValidationError({"parent": "That message was deleted; its thread is closed."})
    return root


# The room locked, the person's membership row (its columns as own_<column>) and, per send
# rate limit, how many messages they sent within its window (sent_<n>). Written out: the
# ORM's compiling of the same query (a filtered join, count subqueries) cost a send more
# CPU than the three statements it replaces (bench/chat.py; docs/PERFORMANCE.md).
MEMBERSHIP_COLUMNS = ("id", "role", "last_read_seq", "is_member")
LOCK_FOR_POST = """
    SELECT room.*, {membership}{counts}
    FROM {rooms} room
    LEFT JOIN {memberships} own ON own.room_id = room.id AND own.user_id = %s
    WHERE room.id = %s{lock}
"""
SENT_WITHIN = (
    ", (SELECT COUNT(*) FROM {messages} WHERE author_id = %s AND created_at > %s) sent_{n}"
)


def _lock_for_post_sql(limits, database: str) -> str:
    return LOCK_FOR_POST.format(
        membership=", ".join(f"own.{column} AS own_{column}" for column in MEMBERSHIP_COLUMNS),
        counts="".join(
            SENT_WITHIN.format(messages=Message._meta.db_table, n=n) for n in range(len(limits))
        ),
        rooms=Room._meta.db_table,
        memberships=Membership._meta.db_table,
        lock=" FOR UPDATE OF room"
        if connections[database].features.has_select_for_update_of
        else "",
    )


def _lock_for_post(actor: User, room_id: int) -> Room | None:
    """The room locked for a post (None if gone), the policies told the actor's membership,
    and ``room.over_rate``: whether a send rate limit may be reached (``_check_rate`` says).

    The counts are read at the statement's start, before it waits for the lock: two sends
    of one person racing in two processes may pass the limit by one message.
    """
    database, limits, now = Room.objects.db, _send_rate(), timezone.now()
    params = [
        value for _, seconds in limits for value in (actor.pk, now - timedelta(seconds=seconds))
    ]
    rooms = Room.objects.raw(_lock_for_post_sql(limits, database), [*params, actor.pk, room_id])
    room = next(iter(rooms), None)
    if room is None:
        return None
    policies.remember_membership(room, actor, _own_membership(room, actor, database))
    room.over_rate = any(getattr(room, f"sent_{n}") >= count for n, (count, _) in enumerate(limits))
    return room


def _own_membership(room: Room, person: User, database: str) -> Membership | None:
    """The membership row read with the room by ``_lock_for_post`` (None: the person has none)."""
    if room.own_id is None:
        return None
    known = {column: getattr(room, f"own_{column}") for column in MEMBERSHIP_COLUMNS}
    known |= {"room_id": room.pk, "user_id": person.pk}
    names = [f.attname for f in Membership._meta.concrete_fields if f.attname in known]
    return Membership.from_db(database, names, [known[name] for name in names])


def _draft_or_error(body) -> Draft | ValidationError:
    """The draft, or why the text cannot be posted: raised only after the permission check
    (DESIGN §3: the right first, then the input), while the draft is made before the room
    is locked (rendering Markdown is the slow part of a send)."""
    try:
        return _draft(body)
    except ValidationError as error:
        return error


def _post_in(actor: User, room_id: int, draft, client_id, parent, *, refuse):
    """The checks and the post, in the caller's transaction, from the room lock on.

    One statement reads the room locked, the actor's membership and how many
    messages they sent lately (``_lock_for_post``). A retried send is found by the unique
    ``(author, client_id)`` constraint when its message is inserted (the
    caller catches the IntegrityError), not looked up first: retries are rare,
    every send paid the look-up. A room that is gone or hidden from the actor
    raises ``refuse(room)``.
    """
    room = _lock_for_post(actor, room_id)
    if room is None or not policies.can_view_room(actor, room):
        raise refuse(room)
    _require(policies.can_post(actor, room), "You cannot post in this room.")
    if isinstance(draft, ValidationError):
        raise draft
    try:
        if room.over_rate:
            _check_rate(actor)  # the times, for how long to wait
    except RateLimited:
        sent = _sent_before(actor, room_id, client_id)
        if sent is None:
            raise
        return sent, False  # a retry is answered, even at the limit
    root = None if parent is None else _thread_root(parent, room)
    return _post(actor, room, draft, client_id, root), True


def _post_once(actor: User, room_id: int, draft, client_id, parent, *, refuse):
    """``_post_in`` in a transaction of its own; a retried send returns its first message."""
    try:
        with transaction.atomic():
            return _post_in(actor, room_id, draft, client_id, parent, refuse=refuse)
    except IntegrityError:  # the id was used before (a retry), or in another room
        sent = _sent_before(actor, room_id, client_id)
        if sent is None:
            raise
        return sent, False


def _refused_post(room: Room | None) -> Exception:
    if room is None:
        return ValidationError("This room no longer exists.")
    return PermissionDenied("You cannot post in this room.")


def _no_such_room(_room: Room | None) -> Exception:
    return Http404("No such room.")  # missing or hidden: the same answer


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
    a duplicate, even when both copies arrive at once (the database's unique
    constraint refuses the second). Raises PermissionDenied (no right to post:
    not a member, left the room), ValidationError (empty, too long, bad id, a
    parent in another room or a deleted thread, the room gone) or RateLimited
    (nothing saved).
    """
    client_id = _check_client_id(client_id)
    draft = _draft_or_error(body)
    return _post_once(actor, room.pk, draft, client_id, parent, refuse=_refused_post)


def send_message(
    *,
    actor: User,
    room_id: int,
    body: str,
    client_id: str | None = None,
    parent: Message | int | None = None,
) -> tuple[Message, bool]:
    """``post_message`` for a frame from the socket: the room by id, the actor as the socket
    knew them when it opened.

    The actor is read again (a deactivated person's open tab cannot write:
    PermissionDenied); a room that does not exist or that they may not see
    raises Http404 (the same answer for both). Otherwise as ``post_message``,
    in fewer statements (the bench sends thousands: bench/chat.py).
    """
    actor = policies.active_actor(actor)
    client_id = _check_client_id(client_id)
    draft = _draft_or_error(body)
    return _post_once(actor, room_id, draft, client_id, parent, refuse=_no_such_room)


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


# --- From chat to work ------------------------------------------------------------


def highlight_message(*, actor: User, message: Message):
    """Log a client-room message into the client's timeline; returns the TimelineEntry.

    The entry keeps a copy of the text: deleting the message later leaves it
    in the timeline, like any history.
    """
    from records import events as record_events
    from records.models import TimelineEntry
    from records.timeline import add_entry

    _require(policies.can_highlight(actor, message), "Only client-room messages can be logged.")
    with transaction.atomic():
        message = _lock_message(message)
        if message.is_deleted:
            raise ValidationError("This message was deleted.")
        if message.highlighted_at is not None:
            raise ValidationError("This message is already in the client's timeline.")
        author = message.author or actor
        entry = add_entry(
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
