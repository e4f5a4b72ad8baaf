"""What every action shares: its type, the form's description of its settings, and the
checks of the people, departments and texts it names.

Two kinds of check, one per moment:

* saving a rule (``clean``): a wrong or gone reference is the person's mistake, a
  ``ValidationError`` they can read and fix in the form;
* running it (``perform``, ``describe``): a reference gone since the rule was saved is
  ``BrokenReference`` (via automation/assignment.py's ``person`` and ``department``),
  which switches the rule off and tells its owner.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from accounts.models import Department, User
from automation import subjects, templating, triggers
from automation.context import RunContext


@dataclass(frozen=True)
class Param:
    """One setting of an action in the rule form.

    ``kind``: "choice" (one of ``choices``), "text" (placeholders allowed), "lines"
    (a list of texts, one a line), "number", "person", "people", "department",
    "field" (a field of the trigger's record), "value", "snippet" or "endpoint".
    ``shown_when``: (other param, its values) — shown only for those values.
    """

    name: str
    label: str
    kind: str
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    help: str = ""
    shown_when: tuple[str, tuple[str, ...]] | None = None


@dataclass(frozen=True)
class ActionType:
    key: str
    label: str
    clean: Callable[[dict, str, object], dict]
    describe: Callable[[dict, RunContext], str]
    perform: Callable[[dict, RunContext], str]
    params: tuple[Param, ...] = ()


# --- Saving a rule: the person's mistakes -------------------------------------------


def subject_type(trigger_key: str) -> str | None:
    """The kind of record the trigger is about ("" for a schedule; None: unknown trigger,
    which the trigger's own check refuses)."""
    trigger = triggers.CATALOG.get(trigger_key)
    return trigger.subject_type if trigger else None


def require_record(trigger_key: str, what: str) -> str | None:
    """The trigger's record type, or a ValidationError when it has no record (a schedule)."""
    found = subject_type(trigger_key)
    if found == "":
        raise ValidationError(f"{what} needs a record, and a schedule is about none.")
    return found


def one_of(config: dict, name: str, options: dict, label: str) -> str:
    value = config.get(name)
    if value not in options:
        raise ValidationError(f"Choose {label}: {', '.join(options.values()).lower()}.")
    return value


def whole_number(config: dict, name: str, label: str, *, minimum=0, maximum=24 * 365) -> int:
    value = config.get(name, 0)
    if value in (None, ""):
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{label} must be a whole number.") from None
    if not minimum <= number <= maximum:
        raise ValidationError(f"{label} must be from {minimum} to {maximum}.")
    return number


def text(config: dict, name: str, trigger_key: str, *, required=True, max_length=1000) -> str:
    return templating.check(
        config.get(name, ""),
        subject_type(trigger_key),
        required=required,
        max_length=max_length,
    )


def _pk(value, label: str) -> int:
    if isinstance(value, bool):
        raise ValidationError(f"Choose {label}.")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"Choose {label}.") from None


def active_person(value, label: str = "a person") -> int:
    """The id of an active person, or a ValidationError naming the problem."""
    pk = _pk(value, label)
    found = User.objects.filter(pk=pk).only("pk", "full_name", "email", "is_active").first()
    if found is None:
        raise ValidationError(f"Choose {label}: person #{pk} does not exist.")
    if not found.is_active:
        raise ValidationError(f"{found} was deactivated: choose someone else as {label}.")
    return pk


def active_people(value, label: str = "people") -> list[int]:
    if not isinstance(value, list | tuple) or not value:
        raise ValidationError(f"Choose {label}.")
    return list(dict.fromkeys(active_person(pk, label) for pk in value))


def existing_department(value, label: str = "a department") -> int:
    pk = _pk(value, label)
    if not Department.objects.filter(pk=pk).exists():
        raise ValidationError(f"Choose {label}: department #{pk} does not exist.")
    return pk


# --- Running a rule ------------------------------------------------------------------


def record(ctx: RunContext):
    """The run's record, or a readable ValidationError when it is gone (deleted, merged)."""
    if ctx.subject is None:
        raise ValidationError("The record this run is about was deleted.")
    return ctx.subject


def locked(obj):
    """``obj`` as stored now, locked until the step commits: the value a rule overwrites
    is what the record holds now (an earlier action or a person may have changed it
    since the run loaded it)."""
    found = type(obj).objects.select_for_update().filter(pk=obj.pk).first()
    if found is None:
        raise ValidationError(f"{obj} was deleted meanwhile.")
    return found


def client(ctx: RunContext):
    if ctx.client is None:
        raise ValidationError("This record belongs to no client.")
    return ctx.client


def record_name(ctx: RunContext) -> str:
    return subjects.label(ctx.subject_type, ctx.subject) if ctx.subject is not None else ""


def link(ctx: RunContext) -> str:
    """The page of the run's record ("" for none), for notifications."""
    return subjects.link(ctx.subject_type, ctx.subject) if ctx.subject is not None else ""
