"""The live event log in the Django admin: what was published when, never what it said.

An event's payload and HTML are copies of what its topic's readers saw — a
direct message, a private room's messages, a private meeting — so the admin
shows only its topic, kind, time and the ids its payload names, and nobody
adds, edits or deletes events here (the bus writes them; pruning removes them).
"""

from django.contrib import admin

from workspace.admin import ViewOnlyAdmin
from workspace.live.models import Event


@admin.register(Event)
class EventAdmin(ViewOnlyAdmin):
    list_display = ["id", "topic", "kind", "created_at", "ids"]
    list_filter = ["kind"]
    search_fields = ["topic"]
    fields = ["id", "topic", "kind", "created_at", "ids"]
    readonly_fields = fields

    @admin.display(description="ids in the payload")
    def ids(self, event: Event) -> str:
        """``id=5, actor=3``: the payload's whole numbers, which name rows and say nothing."""
        numbers = {key: value for key, value in event.payload.items() if _is_id(value)}
        return ", ".join(f"{key}={value}" for key, value in sorted(numbers.items())) or "—"


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
