"""Every write to clients, contacts, deals, tickets, comments and the timeline (DESIGN §3).

Each service: checks the actor's right (``PermissionDenied``), validates
(``ValidationError`` a person can read), writes in one transaction after
``full_clean()``, records what happened (``TimelineEntry`` and/or
``FieldChange``), and publishes on the live topics of what changed:
``client.<id>`` (the client page and its timeline), ``deal.<id>``,
``ticket.<id>``, ``pipeline.<id>`` (the kanban board). One event per topic per
service call; html fragments are added when the views exist.

Services re-read and lock the row they change (``select_for_update``), so
policy and conflict checks see the committed state, and a record deleted
meanwhile gives a readable error instead of a crash.
"""

from records.services.base import FieldConflict, last_change
from records.services.clients import archive_client, create_client, create_contact, log_activity
from records.services.comments import (
    comment_link,
    delete_comment,
    edit_comment,
    post_comment,
    resolve_mentions,
)
from records.services.deals import (
    create_deal,
    default_pipeline,
    delete_deal,
    lose_deal,
    move_deal,
    win_deal,
)
from records.services.fields import EDITABLE_FIELDS, update_field
from records.services.merge import merge_clients
from records.services.tickets import create_ticket, rate_ticket, set_ticket_status
from records.services.views import delete_view, save_view

__all__ = [
    "EDITABLE_FIELDS",
    "FieldConflict",
    "archive_client",
    "comment_link",
    "create_client",
    "create_contact",
    "create_deal",
    "create_ticket",
    "default_pipeline",
    "delete_comment",
    "delete_deal",
    "delete_view",
    "edit_comment",
    "last_change",
    "log_activity",
    "lose_deal",
    "merge_clients",
    "move_deal",
    "post_comment",
    "rate_ticket",
    "resolve_mentions",
    "save_view",
    "set_ticket_status",
    "update_field",
    "win_deal",
]
