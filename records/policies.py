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
* Comments: anyone comments (on a task: those who see it); the author edits;
  the author or an admin deletes.
* Tasks: anyone gives themselves a task; a manager assigns to people of the
  departments they manage; an admin to anyone. A task is seen by its
  assignee, who assigned it, managers of the assignee's departments and
  admins — and by all staff once it is linked to a record (records are
  shared). Those who see it, but for record-linked onlookers, edit it; who
  assigned it, managers and admins delete it.
* Handoffs: anyone hands a client off. The person it is addressed to — or,
  when addressed to a department, any of its members — accepts or declines
  for themselves; the receiving department's managers and admins answer for
  anyone in the department. The sender withdraws it while it is open.
"""

from django.conf import settings
from django.http import Http404

from records.models import Client, Comment, Contact, Deal, Handoff, Pipeline, Task, Ticket

# The list pages whose rows change live (``list.<name>`` topics).
LISTS = ("clients", "contacts", "deals", "tickets")

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
    if isinstance(target, Task):
        return can_view_task(user, target)
    return _active(user)


def can_edit_comment(user, comment: Comment) -> bool:
    return _active(user) and comment.author_id == user.pk and not comment.is_deleted


def can_delete_comment(user, comment: Comment) -> bool:
    return _active(user) and (comment.author_id == user.pk or user.is_admin)


def can_log_activity(user, client: Client) -> bool:
    return _active(user)


# --- Tasks ---------------------------------------------------------------------


def can_assign_task(user, assignee) -> bool:
    """Give ``assignee`` a task: oneself, people of a department one manages, anyone (admin)."""
    if not _active(user) or not assignee.is_active:
        return False
    if assignee.pk == user.pk or user.is_admin:
        return True
    return user.is_manager and bool(_department_ids(user) & _department_ids(assignee))


def _manages_assignee(user, task: Task) -> bool:
    if not user.is_manager:
        return False
    return bool(_department_ids(user) & _department_ids(task.assignee))


def can_edit_task(user, task: Task) -> bool:
    """Change a task's fields, status and checklist, reassign it, comment on it."""
    if not _active(user):
        return False
    return (
        user.is_admin
        or user.pk in (task.assignee_id, task.assigned_by_id)
        or _manages_assignee(user, task)
    )


def can_view_task(user, task: Task) -> bool:
    if not _active(user):
        return False
    return can_edit_task(user, task) or any(
        getattr(task, f"{name}_id") is not None for name in Task.TARGETS
    )


def can_delete_task(user, task: Task) -> bool:
    if not _active(user):
        return False
    return user.is_admin or task.assigned_by_id == user.pk or _manages_assignee(user, task)


def can_see_team_tasks(user, department_id: int | None) -> bool:
    """The team board of a department: its managers and admins."""
    return _active(user) and (user.is_admin or manages_department(user, department_id))


# --- Handoffs ------------------------------------------------------------------


def can_hand_off(user, client: Client) -> bool:
    return _active(user)


def can_answer_handoff(user, handoff: Handoff) -> bool:
    """Accept or decline, for oneself."""
    if not _active(user):
        return False
    if user.is_admin or manages_department(user, handoff.to_department_id):
        return True
    if handoff.to_user_id is not None:
        return handoff.to_user_id == user.pk
    return in_department(user, handoff.to_department_id)


def can_assign_handoff(user, handoff: Handoff) -> bool:
    """Accept on behalf of someone else of the receiving department."""
    return _active(user) and (user.is_admin or manages_department(user, handoff.to_department_id))


def can_withdraw_handoff(user, handoff: Handoff) -> bool:
    return _active(user) and (handoff.from_user_id == user.pk or user.is_admin)


def can_take_client_on_handoff(user, handoff: Handoff) -> bool:
    """Make the acceptor the client's owner: the sender or the acceptor could give it away."""
    client = handoff.client
    return can_manage_client(user, client) or can_manage_client(handoff.from_user, client)


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
        case Task():
            return can_edit_task(user, obj)
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


def access_task(user, pk) -> Task:
    queryset = Task.objects.select_related("assignee", "assigned_by", "client", "deal", "ticket")
    task = _access(queryset, user, pk, "task")
    if not can_view_task(user, task):
        raise Http404("No such task.")
    return task


def access_handoff(user, pk) -> Handoff:
    queryset = Handoff.objects.select_related(
        "client", "ticket", "deal", "from_user", "to_department", "to_user", "task"
    )
    return _access(queryset, user, pk, "handoff")


def access_comment(user, pk) -> Comment:
    return _access(Comment.objects.select_related("author"), user, pk, "comment")


# --- Live topics (registered in records/events.py) ------------------------------


def _topic_policy(model):
    def check(user, key: str) -> bool:
        return key.isdigit() and can_view(user) and model.objects.filter(pk=int(key)).exists()

    def many(pairs: list[tuple[object, str]]) -> list[bool]:
        """``check`` for many (user, key) at once (workspace/live/policies.py): one query."""
        ids = {int(key) for _, key in pairs if key.isdigit() and int(key) < 2**63}
        found = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
        return [key.isdigit() and int(key) in found and can_view(user) for user, key in pairs]

    check.__name__ = f"can_follow_{model._meta.model_name}"
    check.many = many
    return check


can_follow_client = _topic_policy(Client)
can_follow_deal = _topic_policy(Deal)
can_follow_ticket = _topic_policy(Ticket)
can_follow_pipeline = _topic_policy(Pipeline)


def can_follow_list(user, key: str) -> bool:
    return key in LISTS and can_view(user)


def can_follow_task(user, key: str) -> bool:
    if not key.isdigit() or not can_view(user):
        return False
    task = Task.objects.filter(pk=int(key)).first()
    return task is not None and can_view_task(user, task)


def can_follow_team_tasks(user, key: str) -> bool:
    return key.isdigit() and can_see_team_tasks(user, int(key))


def can_follow_handoffs(user, key: str) -> bool:
    """A department's handoffs inbox: its members and admins."""
    if not key.isdigit() or not can_view(user):
        return False
    return user.is_admin or in_department(user, int(key))
