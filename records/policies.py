"""Who may see and do what with clients, deals, tickets and comments (DESIGN §6).

The same functions guard views, the API, socket subscriptions and services.

* Every active member of staff sees every record (a collaborative CRM).
* General fields of a client, its contacts and its deals: the client's owner,
  anyone in the client's department, and admins.
* Ownership (owner, department), archiving and money (deal amount, currency,
  deal owner): the record's owner, managers of the client's department, and
  admins.
* Tickets: the support department, the ticket's assignee, and admins; anyone
  may open a ticket.
* Comments: anyone comments; the author edits; the author or an admin deletes.
"""

from django.conf import settings
from django.http import Http404

from records.models import Client, Comment, Contact, Deal, Pipeline, Ticket

SUPPORT_DEPARTMENT = getattr(settings, "RECORDS_SUPPORT_DEPARTMENT", "support")

# Fields whose change is an ownership or money decision, per model.
CLIENT_OWNERSHIP_FIELDS = frozenset({"owner", "department"})
DEAL_OWNERSHIP_FIELDS = frozenset({"owner", "amount", "currency"})


def _department_ids(user) -> set[int]:
    """The user's department ids, cached on the instance for one request/service."""
    cached = getattr(user, "_records_department_ids", None)
    if cached is None:
        cached = set(user.departments.values_list("pk", flat=True))
        user._records_department_ids = cached
    return cached


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def can_view(user) -> bool:
    return _active(user)


def in_department(user, department_id: int | None) -> bool:
    return department_id is not None and department_id in _department_ids(user)


def manages_department(user, department_id: int | None) -> bool:
    return user.is_manager and in_department(user, department_id)


def is_support(user) -> bool:
    return user.departments.filter(slug=SUPPORT_DEPARTMENT).exists()


# --- Clients and contacts ------------------------------------------------------


def can_create_client(user) -> bool:
    return _active(user)


def can_assign_owner(user, department_id: int | None) -> bool:
    """Make someone else the owner of a new client of ``department``."""
    return _active(user) and (user.is_admin or manages_department(user, department_id))


def can_edit_client(user, client: Client) -> bool:
    """Edit a client's general fields and its contacts."""
    if not _active(user):
        return False
    return user.is_admin or client.owner_id == user.pk or in_department(user, client.department_id)


def can_manage_client(user, client: Client) -> bool:
    """Change the owner or department, archive or restore."""
    if not _active(user):
        return False
    return (
        user.is_admin
        or client.owner_id == user.pk
        or manages_department(user, client.department_id)
    )


def can_edit_client_field(user, client: Client, field: str) -> bool:
    if field in CLIENT_OWNERSHIP_FIELDS:
        return can_manage_client(user, client)
    return can_edit_client(user, client)


def can_edit_contact(user, contact: Contact) -> bool:
    return can_edit_client(user, contact.client)


# --- Deals ---------------------------------------------------------------------


def can_create_deal(user, client: Client) -> bool:
    return can_edit_client(user, client)


def can_edit_deal(user, deal: Deal) -> bool:
    """Edit a deal's title and close date, move it between stages, win or lose it."""
    return _active(user) and (deal.owner_id == user.pk or can_edit_client(user, deal.client))


def can_manage_deal(user, deal: Deal) -> bool:
    """Change a deal's amount, currency or owner."""
    if not _active(user):
        return False
    return (
        user.is_admin
        or deal.owner_id == user.pk
        or manages_department(user, deal.client.department_id)
    )


def can_edit_deal_field(user, deal: Deal, field: str) -> bool:
    if field in DEAL_OWNERSHIP_FIELDS:
        return can_manage_deal(user, deal)
    return can_edit_deal(user, deal)


# --- Tickets -------------------------------------------------------------------


def can_create_ticket(user, client: Client) -> bool:
    return _active(user)


def can_edit_ticket(user, ticket: Ticket) -> bool:
    if not _active(user):
        return False
    return user.is_admin or ticket.assignee_id == user.pk or is_support(user)


# --- Comments and activities ---------------------------------------------------


def can_comment(user, target) -> bool:
    return _active(user)


def can_edit_comment(user, comment: Comment) -> bool:
    return _active(user) and comment.author_id == user.pk and not comment.is_deleted


def can_delete_comment(user, comment: Comment) -> bool:
    return _active(user) and (comment.author_id == user.pk or user.is_admin)


def can_log_activity(user, client: Client) -> bool:
    return _active(user)


# --- One field of any record ---------------------------------------------------


def can_edit_field(user, obj, field: str) -> bool:
    match obj:
        case Client():
            return can_edit_client_field(user, obj, field)
        case Contact():
            return can_edit_contact(user, obj)
        case Deal():
            return can_edit_deal_field(user, obj, field)
        case Ticket():
            return can_edit_ticket(user, obj)
    return False


# --- Lookups: the object, or one 404 for missing and forbidden alike -----------


def _access(queryset, user, pk, what: str):
    if not can_view(user):
        raise Http404(f"No such {what}.")
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No such {what}.") from None


def access_client(user, pk) -> Client:
    return _access(Client.objects.select_related("owner", "department"), user, pk, "client")


def access_contact(user, pk) -> Contact:
    return _access(Contact.objects.select_related("client"), user, pk, "contact")


def access_deal(user, pk) -> Deal:
    queryset = Deal.objects.select_related("client", "pipeline", "stage", "owner")
    return _access(queryset, user, pk, "deal")


def access_ticket(user, pk) -> Ticket:
    queryset = Ticket.objects.select_related("client", "contact", "assignee")
    return _access(queryset, user, pk, "ticket")


def access_pipeline(user, pk) -> Pipeline:
    return _access(Pipeline.objects.all(), user, pk, "pipeline")


def access_comment(user, pk) -> Comment:
    return _access(Comment.objects.select_related("author"), user, pk, "comment")


# --- Live topics (registered in records/events.py) ------------------------------


def _topic_policy(model):
    def check(user, key: str) -> bool:
        return key.isdigit() and can_view(user) and model.objects.filter(pk=int(key)).exists()

    check.__name__ = f"can_follow_{model._meta.model_name}"
    return check


can_follow_client = _topic_policy(Client)
can_follow_deal = _topic_policy(Deal)
can_follow_ticket = _topic_policy(Ticket)
can_follow_pipeline = _topic_policy(Pipeline)


def can_follow_list(user, key: str) -> bool:
    from records.events import LISTS

    return key in LISTS and can_view(user)
