"""Threaded comments on clients, deals, tickets and tasks."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.timezone import now

from records.models.clients import Client
from records.models.deals import Deal
from records.models.tickets import Ticket
from records.models.values import COMMENT_MAX_LENGTH, exactly_one_of

User = settings.AUTH_USER_MODEL

COMMENT_TARGETS = ("client", "deal", "ticket", "task")
SEND_ID_MAX_LENGTH = 64


class Comment(models.Model):
    """A threaded comment on exactly one of a client, a deal, a ticket or a task."""

    TARGETS = COMMENT_TARGETS

    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="comments")
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    task = models.ForeignKey(
        "Task", on_delete=models.CASCADE, null=True, blank=True, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    body = models.TextField(max_length=COMMENT_MAX_LENGTH)
    body_html = models.TextField(editable=False)
    mentions = models.ManyToManyField(User, blank=True, related_name="mentioned_in")
    created_at = models.DateTimeField(default=now, editable=False)
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The id the browser made up for this post (its form's hidden ``send_id``): a post
    # re-sent after a network failure finds this comment instead of adding a second.
    # NULL, not "": a comment without one (tickets' replies, imports) is outside the
    # unique constraint. (Not "client_id": that is the ``client`` foreign key's column.)
    send_id = models.CharField(  # noqa: DJ001
        max_length=SEND_ID_MAX_LENGTH, null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["client", "created_at"], name="comment_client"),
            models.Index(fields=["deal", "created_at"], name="comment_deal"),
            models.Index(fields=["ticket", "created_at"], name="comment_ticket"),
            models.Index(fields=["task", "created_at"], name="comment_task"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=exactly_one_of(COMMENT_TARGETS), name="comment_exactly_one_target"
            ),
            models.UniqueConstraint(
                fields=["author", "send_id"],
                condition=models.Q(send_id__isnull=False),
                name="comment_send_id_once",
            ),
        ]

    def __str__(self) -> str:
        return f"Comment #{self.pk} by {self.author}"

    @property
    def target(self):
        return self.client or self.deal or self.ticket or self.task

    @property
    def target_client_id(self) -> int | None:
        """The client whose page and timeline show this comment (None: a task of no client)."""
        if self.client_id:
            return self.client_id
        if self.task_id:
            return self.task.target_client_id
        return (self.deal or self.ticket).client_id

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def clean(self):
        super().clean()
        if not self.body.strip():
            raise ValidationError({"body": "Write something first."})
        if sum(getattr(self, f"{name}_id") is not None for name in self.TARGETS) != 1:
            raise ValidationError("A comment belongs to exactly one client, deal, ticket or task.")
        if self.parent_id:
            same = all(
                getattr(self.parent, f"{name}_id") == getattr(self, f"{name}_id")
                for name in self.TARGETS
            )
            if not same:
                raise ValidationError({"parent": "A reply belongs to the same record."})
