"""Clients, contacts, deals on pipelines, tickets, comments, the timeline and the audit.

Invariants live here (field validators, ``clean``, database constraints);
every write goes through ``records/services/``, which runs ``full_clean``.

Design choices:

* **Tags are a JSON list of short lowercase strings on the client**, not an
  M2M ``Tag`` table. A client's tags are edited as one field, so they get the
  same field-level conflict detection and audit row (old list → new list) as
  every other field, and a merge is one assignment. The cost is filtering by
  tag: ``tags__contains=[tag]`` on PostgreSQL (JSONB, GIN-indexable); SQLite
  has no JSON containment, so selectors fall back to a text match there.
* **Comments point at their target with explicit nullable foreign keys**
  (client / deal / ticket / task), with a check constraint that exactly one
  is set — not a ContentType generic relation: real foreign keys
  cascade, are indexed and joinable, and cannot dangle.
* **No version column**: conflicts are detected per field (DESIGN §5) by
  comparing the value the editor started from with the stored one; who made
  the last change comes from the ``FieldChange`` audit.

One module per area: values (checks on what records keep), clients (with contacts
and custom fields), deals (with pipelines), tickets (with SLA), comments, history
(timeline and audit), saved_views and tasks (with handoffs).
"""

from records.models.clients import (
    Client,
    Contact,
    CustomField,
    country_choices,
    validate_custom_values,
)
from records.models.comments import COMMENT_TARGETS, SEND_ID_MAX_LENGTH, Comment
from records.models.deals import Deal, LossReason, Pipeline, Stage
from records.models.history import FieldChange, TimelineEntry
from records.models.saved_views import SavedView
from records.models.tasks import (
    CHECKLIST_ITEMS_MAX,
    HANDOFF_DEAL_WINDOW,
    HANDOFF_ESCALATE_AFTER,
    HANDOFF_NOTE_MAX_LENGTH,
    HANDOFF_TASK_DUE,
    TASK_DESCRIPTION_MAX_LENGTH,
    TASK_TARGETS,
    ChecklistItem,
    Handoff,
    HandoffQuerySet,
    Task,
)
from records.models.tickets import DEFAULT_SLA_HOURS, Priority, Ticket, TicketSlaPolicy
from records.models.values import (
    COMMENT_MAX_LENGTH,
    DEFAULT_CURRENCY,
    PHONE_RE,
    TAG_MAX_LENGTH,
    TAGS_MAX,
    at_most_one_of,
    currency_validator,
    exactly_one_of,
    normalize_tags,
    validate_emails,
    validate_phone,
    validate_phones,
    validate_tags,
)

__all__ = [
    "CHECKLIST_ITEMS_MAX",
    "COMMENT_MAX_LENGTH",
    "COMMENT_TARGETS",
    "DEFAULT_CURRENCY",
    "DEFAULT_SLA_HOURS",
    "HANDOFF_DEAL_WINDOW",
    "HANDOFF_ESCALATE_AFTER",
    "HANDOFF_NOTE_MAX_LENGTH",
    "HANDOFF_TASK_DUE",
    "PHONE_RE",
    "SEND_ID_MAX_LENGTH",
    "TAGS_MAX",
    "TAG_MAX_LENGTH",
    "TASK_DESCRIPTION_MAX_LENGTH",
    "TASK_TARGETS",
    "ChecklistItem",
    "Client",
    "Comment",
    "Contact",
    "CustomField",
    "Deal",
    "FieldChange",
    "Handoff",
    "HandoffQuerySet",
    "LossReason",
    "Pipeline",
    "Priority",
    "SavedView",
    "Stage",
    "Task",
    "Ticket",
    "TicketSlaPolicy",
    "TimelineEntry",
    "at_most_one_of",
    "country_choices",
    "currency_validator",
    "exactly_one_of",
    "normalize_tags",
    "validate_custom_values",
    "validate_emails",
    "validate_phone",
    "validate_phones",
    "validate_tags",
]
