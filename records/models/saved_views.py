"""Saved views of the list pages (filters and columns a person named)."""

from django.conf import settings
from django.db import models
from django.utils.timezone import now

User = settings.AUTH_USER_MODEL


class SavedView(models.Model):
    """A person's named filter of a list page ("my open tickets", "sales leads this month")."""

    class List(models.TextChoices):
        CLIENTS = "clients", "Clients"
        CONTACTS = "contacts", "Contacts"
        DEALS = "deals", "Deals"
        TICKETS = "tickets", "Tickets"

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_views")
    list = models.CharField(max_length=10, choices=List)
    name = models.CharField(max_length=80)
    query = models.CharField(
        max_length=1000, blank=True, help_text="The list's query string: filters, search, sort."
    )
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["list", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "list", "name"], name="savedview_unique_name_per_list"
            )
        ]

    def __str__(self) -> str:
        return self.name
