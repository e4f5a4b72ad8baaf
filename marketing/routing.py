"""Who gets a web form's lead: the form's rules in order, the first that matches wins,
else the form's fallback owner.

* **existing owner** — the client is already ours: its owner ("every request goes to
  the client's personal manager"), when still active;
* **by country** / **by industry** — the country (ISO code) or the industry (any case)
  the visitor gave, or else the one the client already has, to the rule's person;
* **round-robin** — the active members of the rule's department take turns, in a
  fixed order (by id). Whose turn was last is a ``RoundRobinTurn`` row locked while
  choosing, so two submissions at once never land on the same person.

Call :func:`route` inside the submission's transaction (the turn is written there).
"""

from django.db import IntegrityError, transaction

from accounts.models import Role, User
from marketing.models import RoundRobinTurn, RoutingRule, WebForm
from records.models import Client

Kind = RoutingRule.Kind


def route(
    form: WebForm, client: Client | None, submission_data: dict
) -> tuple[User, RoutingRule | None]:
    """``(owner, rule)`` for a submission of ``form`` about ``client`` (None: a new client).

    ``submission_data`` holds the cleaned values by ``maps_to`` (``client.country``…).
    ``rule`` is None when the fallback owner got it — or, once the fallback owner has
    left, the first active admin, so a lead is never refused for want of an owner.
    """
    for rule in form.rules.select_related("owner", "department"):
        owner = _match(rule, client, submission_data)
        if owner is not None:
            return owner, rule
    fallback = form.fallback_owner
    if not fallback.is_active:
        admins = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk")
        fallback = admins.first() or fallback
    return fallback, None


def _match(rule: RoutingRule, client: Client | None, data: dict) -> User | None:
    match rule.kind:
        case Kind.EXISTING_OWNER:
            owner = client.owner if client is not None else None
            return owner if owner is not None and owner.is_active else None
        case Kind.COUNTRY:
            given = data.get("client.country") or (client.country if client else "")
            return _named(rule, given.upper() == rule.value.upper())
        case Kind.INDUSTRY:
            given = data.get("client.industry") or (client.industry if client else "")
            return _named(rule, _same_words(given, rule.value))
        case Kind.ROUND_ROBIN:
            return next_in_turn(rule.department_id) if rule.department_id else None
    return None


def _named(rule: RoutingRule, matches: bool) -> User | None:
    if matches and rule.owner is not None and rule.owner.is_active:
        return rule.owner
    return None


def _same_words(given: str, wanted: str) -> bool:
    return bool(given) and " ".join(given.split()).casefold() == " ".join(wanted.split()).casefold()


def next_in_turn(department_id: int) -> User | None:
    """The department's active member after the one whose turn was last (None: nobody).

    Locks the department's ``RoundRobinTurn`` row until the caller's transaction ends.
    """
    members = list(User.objects.filter(departments=department_id, is_active=True).order_by("pk"))
    if not members:
        return None
    with transaction.atomic():
        turn = _locked_turn(department_id)
        after = [
            person for person in members if turn.last_user_id and person.pk > turn.last_user_id
        ]
        chosen = after[0] if after else members[0]
        turn.last_user = chosen
        turn.save(update_fields=["last_user"])
    return chosen


def _locked_turn(department_id: int) -> RoundRobinTurn:
    turns = RoundRobinTurn.objects.select_for_update()
    turn = turns.filter(department_id=department_id).first()
    if turn is not None:
        return turn
    try:
        with transaction.atomic():
            return RoundRobinTurn.objects.create(department_id=department_id)
    except IntegrityError:  # another submission created it first: wait for its turn
        return turns.get(department_id=department_id)
