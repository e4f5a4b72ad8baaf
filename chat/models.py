"""Chat: rooms (client, department, group, direct), members and their read state, messages.

Every write goes through ``chat/services/``, which runs ``full_clean``.

Design choices:

* **Order is the server's**: each message takes the room's next ``seq`` under a
  lock of the room row (``Room.last_seq``), never a client clock. Thread
  replies take a number too, so "everything after seq N" is one index range.
* **Idempotent sends**: a send carries an id the browser made up
  (``client_id``), unique per author; a retried send finds the message it
  already created instead of posting it twice.
* **Read state is one number per member** (``Membership.last_read_seq``):
  unread counts are counted from the ``(room, seq)`` index when a page is
  drawn, and kept up to date in the browser from the live events -- no
  per-member row is written when a message is posted.
* **Client and department rooms are created on first use** (one per client,
  one per department, unique). Client rooms are open to all staff; department
  rooms to the department's members; group rooms are public or private; direct
  rooms are private to the people in them and unique per set of people.
* **Membership rows are written when someone joins or reads**, so a client
  room has no rows until someone opens it; the row holds read state.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

MESSAGE_MAX_LENGTH = 10_000
ROOM_NAME_MAX_LENGTH = 80
CLIENT_ID_MAX_LENGTH = 64

User = settings.AUTH_USER_MODEL


class RoomQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Rooms ``user`` may read (``chat.policies.can_view_room`` as a query).

        Open rooms, their departments' rooms, and private rooms and direct
        messages they are a member of -- not those they left. Admins are no
        exception: privacy holds for them too.
        """
        if not (user.is_authenticated and user.is_active):
            return self.none()
        own = Membership.objects.filter(user=user, is_member=True).values("room_id")
        return self.filter(archived_at__isnull=True).filter(
            Q(kind=Room.Kind.CLIENT)
            | Q(kind=Room.Kind.GROUP, is_private=False)
            | Q(kind=Room.Kind.DEPARTMENT, department__in=user.departments.values("pk"))
            | Q(kind__in=[Room.Kind.GROUP, Room.Kind.DIRECT], pk__in=own)
        )


class Room(models.Model):
    class Kind(models.TextChoices):
        CLIENT = "client", "Client room"
        DEPARTMENT = "department", "Department room"
        GROUP = "group", "Group room"
        DIRECT = "direct", "Direct message"

    kind = models.CharField(max_length=12, choices=Kind, db_index=True)
    name = models.CharField(max_length=ROOM_NAME_MAX_LENGTH, blank=True)
    description = models.CharField(max_length=300, blank=True)
    is_private = models.BooleanField(
        default=False, help_text="Private rooms and direct messages are seen by members only."
    )
    client = models.OneToOneField(
        "records.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="chat_room"
    )
    department = models.OneToOneField(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="chat_room",
    )
    # Direct rooms: the sorted member ids ("3-8-21"), so one set of people has one room.
    direct_key = models.CharField(max_length=400, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=now, editable=False)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_message_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = RoomQuerySet.as_manager()

    class Meta:
        # Latest activity first; rooms without messages last (PostgreSQL puts NULLs first).
        ordering = [models.F("last_message_at").desc(nulls_last=True), "-id"]
        constraints = [
            models.CheckConstraint(
                name="chat_room_client_iff_client_kind",
                condition=Q(kind="client", client__isnull=False)
                | (~Q(kind="client") & Q(client__isnull=True)),
            ),
            models.CheckConstraint(
                name="chat_room_department_iff_department_kind",
                condition=Q(kind="department", department__isnull=False)
                | (~Q(kind="department") & Q(department__isnull=True)),
            ),
            models.CheckConstraint(
                name="chat_room_direct_is_private",
                condition=~Q(kind="direct") | Q(is_private=True, direct_key__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.CLIENT and self.client_id:
            return self.name or str(self.client)
        if self.kind == self.Kind.DEPARTMENT and self.department_id:
            return self.name or str(self.department)
        return self.name or f"Room {self.pk}"

    @property
    def topic(self) -> str:
        return f"room.{self.pk}"

    @property
    def is_open_to_all(self) -> bool:
        """Client rooms and public group rooms: any staff member may read and join."""
        return self.kind == self.Kind.CLIENT or (
            self.kind == self.Kind.GROUP and not self.is_private
        )


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MEMBER = "member", "Member"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="chat_memberships")
    role = models.CharField(max_length=10, choices=Role, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=now, editable=False)
    last_read_seq = models.PositiveBigIntegerField(default=0)
    # False: the person read the room once (a client room) but does not follow it.
    is_member = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="chat_membership_once"),
        ]
        indexes = [models.Index(fields=["user", "is_member"], name="chat_membership_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.room}"


class MessageQuerySet(models.QuerySet):
    def live(self):
        return self.filter(deleted_at__isnull=True)

    def top_level(self):
        return self.filter(parent__isnull=True)


class Message(models.Model):
    class Kind(models.TextChoices):
        USER = "user", "Message"
        SYSTEM = "system", "System message"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=8, choices=Kind, default=Kind.USER)
    author = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="chat_messages"
    )
    # NULL, not "": a message without an id (system, import) is outside the unique constraint.
    client_id = models.CharField(  # noqa: DJ001
        max_length=CLIENT_ID_MAX_LENGTH, null=True, blank=True
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    body = models.TextField(max_length=MESSAGE_MAX_LENGTH)
    body_html = models.TextField(blank=True)
    mentions = models.ManyToManyField(User, blank=True, related_name="chat_mentions")
    mentioned_departments = models.ManyToManyField(
        "accounts.Department", blank=True, related_name="chat_mentions"
    )
    clients = models.ManyToManyField("records.Client", blank=True, related_name="chat_references")
    reply_count = models.PositiveIntegerField(default=0)
    last_reply_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    highlighted_at = models.DateTimeField(null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="chat_message_seq_once"),
            models.UniqueConstraint(
                fields=["author", "client_id"],
                condition=Q(client_id__isnull=False),
                name="chat_message_client_id_once",
            ),
            models.CheckConstraint(
                name="chat_message_system_has_no_author",
                condition=~Q(kind="system") | Q(author__isnull=True),
            ),
        ]
        indexes = [
            # The send rate limit counts a person's recent messages.
            models.Index(fields=["author", "created_at"], name="chat_message_author_recent"),
            # A thread's replies in order.
            models.Index(fields=["parent", "seq"], name="chat_message_thread"),
            # A room's history without thread replies (latest 50, then older by seq).
            models.Index(
                fields=["room", "-seq"],
                condition=Q(parent__isnull=True),
                name="chat_message_timeline",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} in {self.room_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Reaction(models.Model):
    """One person's emoji on one message (a small fixed set)."""

    class Emoji(models.TextChoices):
        THUMBS_UP = "👍", "Thumbs up"
        HEART = "❤️", "Heart"
        LAUGH = "😄", "Laugh"
        TADA = "🎉", "Celebrate"
        EYES = "👀", "Looking"
        CHECK = "✅", "Done"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=8, choices=Emoji)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["message", "user", "emoji"], name="chat_reaction_once"),
        ]

    def __str__(self) -> str:
        return f"{self.emoji} by {self.user_id} on {self.message_id}"
