"""People, departments and invitations.

Roles are workspace-wide (admin, manager, member). A manager manages the
departments they belong to; an admin manages everything.
"""

import uuid
import zoneinfo
from datetime import time
from pathlib import PurePath

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.timezone import now

WEEKDAYS = [
    (0, "Mon"),
    (1, "Tue"),
    (2, "Wed"),
    (3, "Thu"),
    (4, "Fri"),
    (5, "Sat"),
    (6, "Sun"),
]


def default_work_days() -> list[int]:
    return [0, 1, 2, 3, 4]


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    MEMBER = "member", "Member"


class EmailNotifications(models.TextChoices):
    ALL = "all", "Everything"
    IMPORTANT = "important", "Mentions, assignments and invites only"
    NONE = "none", "Nothing (in-app only)"


def validate_timezone(name: str) -> None:
    if name not in zoneinfo.available_timezones():
        raise ValidationError(
            "“%(name)s” is not a known time zone. Pick one like Europe/Berlin or America/New_York.",
            params={"name": name},
            code="unknown_timezone",
        )


def validate_work_days(days) -> None:
    valid = {number for number, _ in WEEKDAYS}
    if not isinstance(days, list) or not set(days) <= valid:
        raise ValidationError("Working days must be weekday numbers 0 (Mon) to 6 (Sun).")


def avatar_upload_path(user: "User", filename: str) -> str:
    """A fresh random name per upload, so a new avatar is never served from cache."""
    return f"avatars/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class Department(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.CharField(max_length=200, blank=True)
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="The zone the department's schedules run in (automation: “every Monday 09:00”).",
    )
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields |= {"role": Role.ADMIN, "is_staff": True, "is_superuser": True}
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150)
    job_title = models.CharField(max_length=100, blank=True)
    role = models.CharField(max_length=10, choices=Role, default=Role.MEMBER, db_index=True)
    departments = models.ManyToManyField(Department, related_name="members", blank=True)
    avatar = models.ImageField(upload_to=avatar_upload_path, blank=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    work_start = models.TimeField(default=time(9, 0))
    work_end = models.TimeField(default=time(17, 0))
    work_days = models.JSONField(default=default_work_days, validators=[validate_work_days])
    email_notifications = models.CharField(
        max_length=10, choices=EmailNotifications, default=EmailNotifications.IMPORTANT
    )
    reminder_minutes = models.PositiveIntegerField(
        default=60, help_text="Default reminder before a task is due, in minutes."
    )
    email_signature = models.TextField(
        max_length=2000, blank=True, help_text="Markdown added under the mail you send a client."
    )
    phone_extension = models.CharField(
        max_length=20,
        blank=True,
        db_index=True,
        help_text="Your extension or agent id on the phone system: its calls pop up here.",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May use the Django admin site.")
    date_joined = models.DateTimeField(default=now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]
        # Lists sorted by owner or assignee walk the people in name order, each one's
        # rows by id, and stop at a page (docs/PERFORMANCE.md, "Lists at 100k").
        indexes = [models.Index(fields=["full_name", "id"], name="user_full_name")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = self.email.strip().lower()
        if self.work_end <= self.work_start:
            raise ValidationError({"work_end": "Working hours must end after they start."})

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split()[0] if self.full_name else self.email

    @property
    def initials(self) -> str:
        words = (self.full_name or self.email).split()
        return "".join(word[0] for word in words[:2]).upper()

    @property
    def avatar_colour(self) -> int:
        """A stable colour index (0-7) so initials avatars are told apart at a glance."""
        return (self.pk or 0) % 8

    @property
    def is_admin(self) -> bool:
        return self.is_active and self.role == Role.ADMIN

    @property
    def is_manager(self) -> bool:
        return self.is_active and self.role == Role.MANAGER

    @property
    def work_day_labels(self) -> str:
        names = dict(WEEKDAYS)
        return " ".join(names[day] for day in sorted(self.work_days))


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now())


class Invitation(models.Model):
    """An admin's or manager's offer of an account, redeemed once by a secret link.

    Only a SHA-256 hash of the link's token is stored: a leaked database does
    not leak usable invitation links.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    email = models.EmailField(db_index=True)
    full_name = models.CharField(max_length=150, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=10, choices=Role, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(default=now, editable=False)
    expires_at = models.DateTimeField(db_index=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.OneToOneField(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitation"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return self.Status.ACCEPTED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.expires_at <= now():
            return self.Status.EXPIRED
        return self.Status.PENDING

    def get_status_display(self) -> str:
        return self.Status(self.status).label


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """Something a person should see: shown under the bell and pushed live to ``user.<id>``."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.SlugField(max_length=40)
    text = models.CharField(max_length=300)
    link = models.CharField(max_length=500, blank=True, help_text="A path on this site.")
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_recipient_read"),
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_new"),
        ]

    def __str__(self) -> str:
        return self.text

    def clean(self):
        super().clean()
        # Only links within Workspace: never another site, never javascript:.
        if self.link and (not self.link.startswith("/") or self.link.startswith("//")):
            raise ValidationError({"link": "A notification links to a page of Workspace."})

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
