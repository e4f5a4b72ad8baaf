"""Every write to clients, contacts, deals, tickets, tasks, handoffs, comments and the timeline.

DESIGN §3.

Each service: checks the actor's right (``PermissionDenied``), validates
(``ValidationError`` a person can read), writes in one transaction after
``full_clean()``, records what happened (``TimelineEntry`` and/or
``FieldChange``), and publishes on the live topics of what changed:
``client.<id>`` (the client page and its timeline), ``deal.<id>``,
``ticket.<id>``, ``pipeline.<id>`` (the kanban board), ``task.<id>``,
``tasks.<department id>`` (team boards), ``handoffs.<department id>`` (the
inbox) and people's own feeds ``user.<id>``. One event per topic per
service call; html fragments are added when the views exist.

Services re-read and lock the row they change (``select_for_update``), so
policy and conflict checks see the committed state, and a record deleted
meanwhile gives a readable error instead of a crash.
"""

from records.services.base import FieldConflict, last_change
from records.services.clients import (
    archive_client,
    create_client,
    create_contact,
    delete_contact,
    log_activity,
)
from records.services.comments import (
    comment_link,
    delete_comment,
    edit_comment,
    post_comment,
    resolve_mentions,
)
from records.services.counts import recount_open_work
from records.services.deals import (
    create_deal,
    default_pipeline,
    delete_deal,
    lose_deal,
    move_deal,
    win_deal,
)
from records.services.fields import EDITABLE_FIELDS, update_field
from records.services.handoffs import (
    accept_handoff,
    decline_handoff,
    escalate_handoff,
    hand_off,
    handoff_link,
    withdraw_handoff,
)
from records.services.merge import merge_clients
from records.services.reminders import aware_due, remind_assignee, task_link
from records.services.tasks import (
    add_checklist_item,
    create_task,
    delete_task,
    reassign_task,
    remove_checklist_item,
    set_task_status,
    toggle_checklist_item,
)
from records.services.tickets import create_ticket, rate_ticket, set_ticket_status
from records.services.views import delete_view, save_view

__all__ = [
    "EDITABLE_FIELDS",
    "FieldConflict",
    "accept_handoff",
    "add_checklist_item",
    "archive_client",
    "aware_due",
    "comment_link",
    "create_client",
    "create_contact",
    "create_deal",
    "create_task",
    "create_ticket",
    "decline_handoff",
    "default_pipeline",
    "delete_comment",
    "delete_contact",
    "delete_deal",
    "delete_task",
    "delete_view",
    "edit_comment",
    "escalate_handoff",
    "hand_off",
    "handoff_link",
    "last_change",
    "log_activity",
    "lose_deal",
    "merge_clients",
    "move_deal",
    "post_comment",
    "rate_ticket",
    "reassign_task",
    "recount_open_work",
    "remind_assignee",
    "remove_checklist_item",
    "resolve_mentions",
    "save_view",
    "set_task_status",
    "set_ticket_status",
    "task_link",
    "toggle_checklist_item",
    "update_field",
    "win_deal",
    "withdraw_handoff",
]
