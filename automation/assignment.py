"""Who gets a record: the "assign the owner" action's choice of a person.

Strategies (``config["strategy"]``):

* ``person``: the person the rule names;
* ``round_robin``: the department's active members in a fixed order (by id), each
  turn after the last one given (``AssignmentTurn``, locked while choosing, so two
  workers never give the same turn twice);
* ``least_loaded``: the department member with the least open work, measured as
  open tasks (open or in progress) + unresolved tickets assigned + open deals owned,
  counted in one query; ties go to the lower id;
* ``existing_owner``: the owner of the record's client (a ticket goes to the person
  who owns its client).

Everyone chosen must be *available*: active, and inside their own working hours
(``User.work_days``, ``work_start`` to ``work_end``) in their own time zone. Unavailable
people are skipped; when nobody is left the rule's ``fallback`` person gets the record
(if active, whatever the hour: someone must); with no fallback the step fails with a
reason. A person or department the rule names that is gone is ``BrokenReference``.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Department, User
from automation.errors import BrokenReference
from automation.models import AssignmentTurn
from records.models import Deal, Task, Ticket
from workspace import moments

STRATEGIES = {
    "person": "A named person",
    "round_robin": "Round-robin within a department",
    "least_loaded": "The least loaded in a department",
    "existing_owner": "The client's existing owner",
}
# The field holding a record's owner, by subject type (contacts and handoffs: their client's).
OWNER_FIELDS = {"client": "owner", "deal": "owner", "ticket": "assignee", "task": "assignee"}


@dataclass(frozen=True)
class Choice:
    person: User
    why: str  # "round-robin in Support", "fallback: nobody in Support is working now"


def subject_owner(subject_type: str, subject) -> User | None:
    """The person a record is with: a client's or deal's owner, a ticket's or task's
    assignee; a contact's or handoff's client's owner. None when nobody is."""
    if subject is None:
        return None
    field = OWNER_FIELDS.get(subject_type)
    if field is not None:
        return getattr(subject, field)
    client = getattr(subject, "client", None)
    return client.owner if client is not None else None


def is_available(person: User, moment: datetime) -> bool:
    """Active and inside their working hours, read in their own time zone."""
    if not person.is_active:
        return False
    local = timezone.localtime(moment, moments.zone(person.timezone))
    return local.weekday() in person.work_days and (
        person.work_start <= local.time() < person.work_end
    )


def choose(config: dict, *, client, now: datetime, dry_run: bool = False) -> Choice:
    """The person ``config`` picks now, as a ``Choice``. A dry run takes no round-robin turn.

    Raises ValidationError when nobody is available and there is no fallback,
    BrokenReference when a named person or department is gone."""
    strategy = config["strategy"]
    candidates, where = _candidates(config, strategy, client, lock=not dry_run)
    for person in candidates:
        if is_available(person, now):
            if strategy == "round_robin" and not dry_run:
                _take_turn(config["department"], person)
            return Choice(person, f"{STRATEGIES[strategy].lower()}{where}")
    return _fallback(config, where)


def person(pk, what: str) -> User:
    """The active person ``pk`` a rule names, or BrokenReference (``what``: where it is named)."""
    found = User.objects.filter(pk=pk).first()
    if found is None or not found.is_active:
        name = str(found) if found else f"Person #{pk}"
        raise BrokenReference(f"{name}, named in {what}, has left or was deactivated.")
    return found


def department(pk, what: str) -> Department:
    found = Department.objects.filter(pk=pk).first()
    if found is None:
        raise BrokenReference(f"The department named in {what} was deleted.")
    return found


def open_work(people_ids) -> dict[int, int]:
    """Open tasks + unresolved tickets + open deals per person, in one query."""
    counted = User.objects.filter(pk__in=list(people_ids)).annotate(
        load=_open_count(Task, "assignee", Q(status__in=Task.ACTIVE))
        + _open_count(Ticket, "assignee", ~Q(status__in=Ticket.RESOLVED))
        + _open_count(Deal, "owner", Q(status=Deal.Status.OPEN))
    )
    return dict(counted.values_list("pk", "load"))


def _open_count(model, person_field: str, is_open: Q):
    rows = (
        model.objects.filter(is_open, **{person_field: OuterRef("pk")})
        .order_by()
        .values(person_field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def _candidates(config: dict, strategy: str, client, *, lock: bool) -> tuple[list[User], str]:
    """The people to try in order, and where they come from (for the run log)."""
    what = "“Assign the owner”"
    if strategy == "person":
        return [person(config["person"], what)], ""
    if strategy == "existing_owner":
        if client is None:
            raise ValidationError("This record belongs to no client, so it has no client owner.")
        return [client.owner], ""
    team = department(config["department"], what)
    members = list(team.members.filter(is_active=True).order_by("pk"))
    where = f" in {team}"
    if strategy == "least_loaded":
        load = open_work(person.pk for person in members)
        return sorted(members, key=lambda person: (load.get(person.pk, 0), person.pk)), where
    return _after_last_turn(team, members, lock=lock), where


def _after_last_turn(team: Department, members: list[User], *, lock: bool) -> list[User]:
    """The members in turn order, starting after the last one given a record. ``lock``:
    the turn row is locked until the caller's transaction ends, so concurrent runs take
    turns one after the other (a dry run only reads)."""
    if lock:
        turn, _ = AssignmentTurn.objects.select_for_update().get_or_create(department=team)
    else:
        turn = AssignmentTurn.objects.filter(department=team).first()
    last = turn.last_user_id if turn else None
    later = [person for person in members if last is None or person.pk > last]
    return later + [person for person in members if person not in later]


def _take_turn(department_id: int, person: User) -> None:
    """Record ``person`` as the last given a turn (its row locked by ``_after_last_turn``)."""
    turn = AssignmentTurn.objects.get(department_id=department_id)
    turn.last_user = person
    turn.updated_at = timezone.now()
    turn.save(update_fields=["last_user", "updated_at"])


def _fallback(config: dict, where: str) -> Choice:
    nobody = f"nobody{where} is available now" if where else "they are not available now"
    if not config.get("fallback"):
        raise ValidationError(f"Not assigned: {nobody} and the rule names no fallback.")
    return Choice(
        person(config["fallback"], "“Assign the owner” (fallback)"), f"fallback: {nobody}"
    )
