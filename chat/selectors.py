"""Chat reads shared by the pages, the live fragments and the socket.

Every list here runs a fixed number of queries whatever its length: the room
list counts unread messages and mentions in the same query as the rooms
(correlated subqueries over the ``(room, seq)`` index), and message lists
prefetch authors, reactions and mentions.
"""

from dataclasses import dataclass, field

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import Department, User
from chat.models import Membership, Message, Reaction, Room

PAGE_SIZE = 50  # messages on opening a room, and per "older" page
PANEL_SIZE = 15  # the client page's panel
WINDOW_SIDE = 25  # messages each side of one jumped to
SIDEBAR_ROOMS = 30  # each followed room is a socket topic (LIVE_MAX_TOPICS is 50)
PUBLIC_ROOMS = 30
THREAD_REPLIES = 200


def _messages():
    return Message.objects.select_related("author", "room").prefetch_related(
        Prefetch("reactions", queryset=Reaction.objects.select_related("user")),
        "mentions",
        "mentioned_departments",
    )


def message_for_display(message_id: int) -> Message | None:
    """One message with what its partial shows (author, reactions, mentions)."""
    return _messages().filter(pk=message_id).first()


def just_posted(message: Message, *, mentioned=(), departments=()) -> Message:
    """A message saved a moment ago, ready for its partial without reading it back.

    Fills what ``_messages`` would prefetch -- no reactions yet, the mentions just
    stored -- so publishing a send costs no query (author, room and thread root
    are the objects the service holds).
    """
    cache = message.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, values in (
        ("reactions", ()),
        ("mentions", mentioned),
        ("mentioned_departments", departments),
    ):
        queryset = getattr(message, name).all()
        queryset._result_cache = list(values)
        queryset._prefetch_done = True
        cache[name] = queryset
    return message


# --- A room's messages ------------------------------------------------------------


@dataclass
class MessagePage:
    """Top-level messages in order, oldest first, and where the list continues."""

    messages: list[Message]
    older: int | None = None  # the seq to load older messages before, or None at the start
    at_latest: bool = True  # False: newer messages exist below (a jump into history)
    focus: int | None = None  # the message jumped to
    extra: dict = field(default_factory=dict)


def _top_level(room: Room):
    return _messages().filter(room=room, parent__isnull=True)


def latest_messages(room: Room, *, before: int | None = None, size: int = PAGE_SIZE) -> MessagePage:
    """The ``size`` latest top-level messages (before seq ``before``, if given)."""
    found = _top_level(room)
    if before is not None:
        found = found.filter(seq__lt=before)
    rows = list(found.order_by("-seq")[: size + 1])
    more = len(rows) > size
    rows = rows[:size][::-1]
    return MessagePage(rows, older=rows[0].seq if more and rows else None)


def messages_around(room: Room, message: Message) -> MessagePage:
    """A window of history around ``message`` (its thread root for a reply)."""
    root = message if message.parent_id is None else message.parent
    before = list(_top_level(room).filter(seq__lte=root.seq).order_by("-seq")[: WINDOW_SIDE + 1])
    after = list(_top_level(room).filter(seq__gt=root.seq).order_by("seq")[: WINDOW_SIDE + 1])
    more_before = len(before) > WINDOW_SIDE
    before = before[:WINDOW_SIDE][::-1]
    rows = before + after[:WINDOW_SIDE]
    return MessagePage(
        rows,
        older=before[0].seq if more_before and before else None,
        at_latest=len(after) <= WINDOW_SIDE,
        focus=root.pk,
    )


def thread(root_id: int) -> tuple[Message | None, list[Message]]:
    """A thread's root and its replies, oldest first, read together (a root's seq is
    below its replies')."""
    rows = list(
        _messages()
        .filter(Q(pk=root_id) | Q(parent_id=root_id))
        .order_by("seq")[: THREAD_REPLIES + 1]
    )
    root = next((message for message in rows if message.pk == root_id), None)
    return root, [message for message in rows if message.pk != root_id]


def first_unread_seq(messages: list[Message], read_seq: int, viewer) -> int | None:
    """Where the "new messages" divider goes: the first message after the read mark
    that someone else wrote (None when everything shown was read)."""
    for message in messages:
        if message.seq > read_seq and message.author_id != viewer.pk:
            return message.seq
    return None


def read_seq(room: Room, viewer) -> int:
    return (
        Membership.objects.filter(room=room, user=viewer)
        .values_list("last_read_seq", flat=True)
        .first()
        or 0
    )


# --- Members and names --------------------------------------------------------------


def room_members(room: Room):
    """The people following the room (a department room: the department)."""
    if room.kind == Room.Kind.DEPARTMENT:
        return list(room.department.members.filter(is_active=True).order_by("full_name"))
    people = []
    for membership in (
        Membership.objects.filter(room=room, is_member=True)
        .select_related("user")
        .order_by("user__full_name")
    ):
        membership.user.chat_role = membership.role  # the members list marks owners
        people.append(membership.user)
    return people


def _direct_title(people, viewer) -> str:
    others = [person for person in people if person.pk != viewer.pk]
    return ", ".join(person.full_name or person.email for person in others) or "Just you"


def room_title(room: Room, viewer) -> str:
    """What the viewer calls the room: a direct message is named after the others in it."""
    if room.kind != Room.Kind.DIRECT:
        return str(room)
    return _direct_title(room_members(room), viewer)


ROOM_ICONS = {
    Room.Kind.CLIENT: "building",
    Room.Kind.DEPARTMENT: "people",
    Room.Kind.GROUP: "hash",
    Room.Kind.DIRECT: "person",
}


def room_icon(room: Room) -> str:
    if room.kind == Room.Kind.GROUP and room.is_private:
        return "lock"
    return ROOM_ICONS.get(room.kind, "chat")


# --- Room lists with unread counts --------------------------------------------------


def _unread(viewer, **extra):
    """A correlated count of the room's top-level messages after the viewer's read mark
    that others wrote and nobody deleted (``extra`` narrows it, e.g. to mentions)."""
    counted = (
        Message.objects.filter(
            room=OuterRef("pk"),
            seq__gt=OuterRef("read_seq"),
            parent__isnull=True,
            deleted_at__isnull=True,
            **extra,
        )
        .exclude(author=viewer)
        .order_by()
        .values("room")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_unread(rooms, viewer):
    """Annotate ``rooms`` with ``read_seq``, ``unread`` and ``mentions`` for ``viewer``."""
    mark = Membership.objects.filter(room=OuterRef("pk"), user=viewer).values("last_read_seq")[:1]
    return (
        rooms.annotate(read_seq=Coalesce(Subquery(mark), Value(0)))
        .annotate(unread=_unread(viewer), mentions=_unread(viewer, mentions=viewer))
        .select_related("client", "department")
    )


def followed_rooms(viewer):
    """Rooms in the viewer's list: those they follow and their departments' rooms."""
    followed = Membership.objects.filter(user=viewer, is_member=True).values("room_id")
    departments = Department.objects.filter(members=viewer).values("pk")
    return Room.objects.filter(
        Q(pk__in=followed) | Q(kind=Room.Kind.DEPARTMENT, department__in=departments),
        archived_at__isnull=True,
    )


def _name_direct_rooms(rooms: list[Room], viewer) -> None:
    """Set ``title`` on each room; direct rooms' members are read in one query."""
    direct = [room.pk for room in rooms if room.kind == Room.Kind.DIRECT]
    people: dict[int, list[User]] = {pk: [] for pk in direct}
    if direct:
        for membership in (
            Membership.objects.filter(room__in=direct, is_member=True)
            .select_related("user")
            .order_by("user__full_name")
        ):
            people[membership.room_id].append(membership.user)
    for room in rooms:
        room.title = _direct_title(people[room.pk], viewer) if room.pk in people else str(room)
        room.icon = room_icon(room)


def room_list(viewer, *, limit: int | None = None) -> list[Room]:
    """The viewer's rooms, most recent activity first, with ``title``, ``icon``,
    ``unread`` and ``mentions`` (two queries whatever the number of rooms)."""
    rooms = with_unread(followed_rooms(viewer), viewer).order_by(
        F("last_message_at").desc(nulls_last=True), "-pk"
    )
    rooms = list(rooms[:limit] if limit else rooms)
    _name_direct_rooms(rooms, viewer)
    return rooms


def public_rooms(viewer) -> list[Room]:
    """Public group rooms the viewer does not follow yet, with their member counts."""
    followed = Membership.objects.filter(user=viewer, is_member=True).values("room_id")
    rooms = (
        Room.objects.filter(kind=Room.Kind.GROUP, is_private=False, archived_at__isnull=True)
        .exclude(pk__in=followed)
        .annotate(people=Count("memberships", filter=Q(memberships__is_member=True)))
        .order_by(F("last_message_at").desc(nulls_last=True), "-pk")[:PUBLIC_ROOMS]
    )
    return list(rooms)


def sidebar_entry(room: Room, viewer) -> dict:
    """One room of a person's sidebar, as the live "room added" event draws it."""
    counted = with_unread(Room.objects.filter(pk=room.pk), viewer).first()
    return {
        "room": room,
        "title": room_title(room, viewer),
        "icon": room_icon(room),
        "unread": counted.unread if counted else 0,
        "mentions": counted.mentions if counted else 0,
    }


def unfollowed_departments(viewer):
    """The viewer's departments whose room was never opened (it is made on first use)."""
    return Department.objects.filter(members=viewer, chat_room__isnull=True)


# --- Reactions ----------------------------------------------------------------------


@dataclass
class ReactionGroup:
    emoji: str
    label: str
    users: list[User]

    @property
    def count(self) -> int:
        return len(self.users)

    @property
    def user_ids(self) -> str:
        return " ".join(str(person.pk) for person in self.users)

    @property
    def names(self) -> str:
        return ", ".join(person.full_name or person.email for person in self.users)


def reaction_groups(message: Message) -> list[ReactionGroup]:
    """The message's reactions by emoji, in the fixed set's order (prefetched rows)."""
    by_emoji: dict[str, list[User]] = {}
    for reaction in message.reactions.all():
        by_emoji.setdefault(reaction.emoji, []).append(reaction.user)
    return [
        ReactionGroup(emoji, label, by_emoji[emoji])
        for emoji, label in Reaction.Emoji.choices
        if emoji in by_emoji
    ]
