"""Planning and running an import, and undoing it exactly.

``plan`` reads the file and decides, row by row, what the run would do:
create, update (the fields that differ), skip (a duplicate, or nothing to
change) or fail (the row's errors, by column). The preview and the dry run
are the plan: they write nothing. ``execute`` does it: new records in
batches of ``BATCH`` (integrations/imports/bulk.py explains why in bulk and
which rows it writes beside them), updates through records' ``update_field``
one row per savepoint (audit, timeline, live events as if typed). A row that
fails leaves nothing behind; a file that cannot be read fails before any
write.

Duplicates are matched on normalized values: clients by domain, then phone
digits; contacts by email, then phone digits (records/selectors/duplicates.py
normalizes). The index of existing records is read once per run (a few
columns of every live client or contact), not once per row; rows of the same
file match each other too ("same domain as row 4").

Every record created and every field changed is an ``ImportChange`` row
(model, id, field, old, new). Undo puts the fields back through
``update_field`` with the import's value as ``seen_value``, so a field someone
changed since is *kept* (FieldConflict) and reported, then deletes the
records created, except those edited or built on since (reported too).
Nothing later is lost silently.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from integrations.imports import bulk, reading
from integrations.imports.models import ImportChange, ImportRun
from integrations.imports.rows import Row, digits_of, parse
from records import policies, services
from records.models import Client, Contact
from records.models.values import format_phone
from records.selectors.duplicates import normalize_name, phone_digits

Kind = ImportRun.Kind
Mode = ImportRun.Duplicates
Action = ImportChange.Action
CREATE, UPDATE, SKIP, FAIL = "create", "update", "skip", "fail"


@dataclass
class Step:
    """What the run does with one row."""

    row: Row
    action: str
    target: int | None = None  # the existing record's pk (update, skip)
    changes: dict = field(default_factory=dict)  # field → (old, new) for an update
    reason: str = ""


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    report: list = field(default_factory=list)

    def count(self, step: Step) -> None:
        name = {CREATE: "created", UPDATE: "updated", SKIP: "skipped", FAIL: "failed"}[step.action]
        setattr(self, name, getattr(self, name) + 1)
        if step.action != CREATE:
            self.report.append({"row": step.row.number, "outcome": name, "reason": step.reason})


# --- The index of existing records --------------------------------------------------------


class Index:
    """Existing records by normalized key, and the rows of this file already planned."""

    def __init__(self, kind: str):
        self.kind = kind
        self.keys: dict[str, int] = {}  # "email:…", "domain:…", "phone:…" → pk
        self.planned: dict[str, int] = {}  # the same keys → the file row that creates it
        self.clients: dict[str, int] = {}  # contacts' companies: "domain:…"/"name:…" → pk
        if kind == Kind.CLIENTS:
            for pk, domain, phone in _live_clients().values_list("pk", "domain", "phone"):
                self._add_client(pk, domain, phone, self.keys)
        else:
            for pk, emails, phones in Contact.objects.values_list("pk", "emails", "phones"):
                for email in emails or ():
                    self.keys.setdefault(f"email:{email.lower()}", pk)
                for digits in digits_of(phones or ()):
                    self.keys.setdefault(f"phone:{digits}", pk)
            for pk, name, domain in _live_clients().values_list("pk", "name", "domain"):
                self.clients.setdefault(f"name:{normalize_name(name)}", pk)
                if domain:
                    self.clients.setdefault(f"domain:{domain}", pk)

    @staticmethod
    def _add_client(pk, domain, phone, into):
        if domain:
            into.setdefault(f"domain:{domain}", pk)
        digits = phone_digits(phone)
        if len(digits) >= 6:
            into.setdefault(f"phone:{digits}", pk)

    def row_keys(self, row: Row) -> list[tuple[str, str]]:
        """(key, reason) pairs the row is matched on, in order of trust."""
        values = row.values
        if self.kind == Kind.CLIENTS:
            keys = (
                [(f"domain:{values['domain']}", f"same domain {values['domain']}")]
                if values.get("domain")
                else []
            )
            digits = phone_digits(values.get("phone", ""))
            if len(digits) >= 6:
                keys.append((f"phone:{digits}", f"same phone {format_phone(values['phone'])}"))
            return keys
        keys = [(f"email:{email}", f"same email {email}") for email in values.get("emails", ())]
        keys += [(f"phone:{d}", "same phone") for d in digits_of(values.get("phones", ()))]
        return keys

    def match(self, row: Row) -> tuple[int | None, int | None, str]:
        """(existing pk, earlier file row, reason) of the first key that matches."""
        for key, reason in self.row_keys(row):
            if key in self.keys:
                return self.keys[key], None, reason
            if key in self.planned:
                return None, self.planned[key], f"{reason} as row {self.planned[key]}"
        return None, None, ""

    def plan_create(self, row: Row) -> None:
        for key, _ in self.row_keys(row):
            self.planned.setdefault(key, row.number)

    def client_of(self, company: dict) -> int | None:
        if company["domain"] and f"domain:{company['domain']}" in self.clients:
            return self.clients[f"domain:{company['domain']}"]
        return self.clients.get(f"name:{normalize_name(company['name'])}")

    def remember_client(self, client: Client) -> None:
        self.clients.setdefault(f"name:{normalize_name(client.name)}", client.pk)
        if client.domain:
            self.clients.setdefault(f"domain:{client.domain}", client.pk)


def _live_clients():
    return Client.objects.filter(merged_into__isnull=True)


# --- Planning -----------------------------------------------------------------------------


def read(run: ImportRun) -> reading.Table:
    return reading.read_file(bytes(run.data), run.file_name)


def plan(run: ImportRun, table: reading.Table | None = None) -> Iterator[Step]:
    """The step for each row of the run's file, in file order (reads nothing but the index;
    writes nothing)."""
    table = table or read(run)
    index = Index(run.kind)
    current = _Current(run.kind)
    for cells, number in zip(table.rows, table.numbers, strict=True):
        row = parse(run.kind, run.mapping, cells, number)
        yield _step(run, index, current, row)


def _step(run: ImportRun, index: Index, current: "_Current", row: Row) -> Step:
    if not row.ok:
        return Step(row, FAIL, reason=row.reason())
    existing, earlier, reason = index.match(row)
    if run.duplicate_mode == Mode.CREATE or (existing is None and earlier is None):
        index.plan_create(row)
        return Step(row, CREATE)
    if run.duplicate_mode == Mode.SKIP or existing is None:
        return Step(row, SKIP, target=existing, reason=f"Duplicate: {reason}.")
    changes = current.differences(existing, row.values)
    if not changes:
        return Step(row, SKIP, target=existing, reason=f"Duplicate ({reason}); nothing new.")
    return Step(row, UPDATE, target=existing, changes=changes, reason=f"Updated ({reason}).")


class _Current:
    """Stored values of matched records, fetched when first needed."""

    def __init__(self, kind: str):
        self.model = Client if kind == Kind.CLIENTS else Contact

    def differences(self, pk: int, values: dict) -> dict:
        record = self.model.objects.get(pk=pk)
        changes = {}
        for name, new in values.items():
            old = getattr(record, name)
            if isinstance(old, list):
                new = list(dict.fromkeys([*old, *new]))  # lists gain the file's values
            if new != old:
                changes[name] = (old, new)
        return changes


def dry_run(run: ImportRun) -> Outcome:
    """The counts and reasons a run would give; writes nothing."""
    outcome = Outcome()
    for step in plan(run):
        outcome.count(step)
    return outcome


# --- Running ------------------------------------------------------------------------------


def execute(
    run: ImportRun, *, on_progress: Callable[[Outcome, int], None] | None = None
) -> Outcome:
    """Do the run's plan as its user: new records in batches (integrations/imports/bulk.py),
    updates one savepoint per row through ``update_field``. ``on_progress(outcome, done)``
    is called after every batch and at the end."""
    table = read(run)
    outcome = Outcome()
    index, current = Index(run.kind), _Current(run.kind)
    batch = _Batch(run, index, outcome)
    for done, (cells, number) in enumerate(zip(table.rows, table.numbers, strict=True), 1):
        step = _step(run, index, current, parse(run.kind, run.mapping, cells, number))
        if step.action == CREATE:
            batch.steps.append(step)
        else:
            outcome.count(_update(run, step) if step.action == UPDATE else step)
        if done % BATCH == 0:
            batch.flush()
            if on_progress:
                on_progress(outcome, done)
    batch.flush()
    outcome.report.sort(key=lambda line: line["row"])
    if on_progress:
        on_progress(outcome, len(table))
    return outcome


BATCH = 1000


def _message(error) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "Not allowed."


def _update(run: ImportRun, step: Step) -> Step:
    """Set the row's differing fields through ``update_field``, all or none."""
    model = Client if run.kind == Kind.CLIENTS else Contact
    try:
        with transaction.atomic():
            record = model.objects.get(pk=step.target)
            for name, (old, new) in step.changes.items():
                record = services.update_field(
                    actor=run.user, obj=record, field=name, value=new, seen_value=old
                )
                ImportChange.objects.create(
                    run=run,
                    action=Action.UPDATED,
                    model=model.__name__.lower(),
                    object_id=record.pk,
                    field=name,
                    old_value=old,
                    new_value=new,
                    row=step.row.number,
                )
    except (ValidationError, PermissionDenied) as error:
        return Step(step.row, FAIL, reason=_message(error))
    return step


class _Batch:
    """The rows to create, written together (bulk.py) when full and at the end."""

    def __init__(self, run: ImportRun, index: Index, outcome: Outcome):
        self.run, self.index, self.outcome = run, index, outcome
        self.steps: list[Step] = []
        self._department = None

    def department(self):
        if self._department is None:
            self._department = bulk.department_of(self.run.user)
        return self._department

    def flush(self) -> None:
        steps, self.steps = self.steps, []
        if not steps:
            return
        try:
            if self.run.kind == Kind.CLIENTS:
                items = [(step.row.values, step.row.number) for step in steps]
                bulk.create_clients(self.run, self.department(), items)
            else:
                steps = self._contacts(steps)
        except (ValidationError, PermissionDenied) as error:
            for step in steps:
                self.outcome.count(Step(step.row, FAIL, reason=_message(error)))
            return
        for step in steps:
            self.outcome.count(step)

    def _contacts(self, steps: list[Step]) -> list[Step]:
        """Create the contacts, and first the companies not yet clients; returns the steps
        done (those refused for their client are counted as failed here)."""
        new = {}
        for step in steps:
            if self.index.client_of(step.row.company) is None:
                key = step.row.company["domain"] or normalize_name(step.row.company["name"])
                new.setdefault(key, step)
        if new:
            companies = [
                ({k: v for k, v in s.row.company.items() if v}, s.row.number) for s in new.values()
            ]
            for client in bulk.create_clients(self.run, self.department(), companies):
                self.index.remember_client(client)
        pks = [self.index.client_of(step.row.company) for step in steps]
        clients = Client.objects.only("pk", "owner_id", "department_id").in_bulk(set(pks))
        allowed, items = [], []
        for step, pk in zip(steps, pks, strict=True):
            client = clients[pk]
            if policies.can_edit_client(self.run.user, client):
                allowed.append(step)
                items.append((client.pk, step.row.values, step.row.number))
            else:
                reason = f"You cannot add contacts to {step.row.company['name']}."
                self.outcome.count(Step(step.row, FAIL, reason=reason))
        bulk.create_contacts(self.run, items)
        return allowed


# --- Undo ---------------------------------------------------------------------------------


def undo(run: ImportRun, *, actor) -> list[dict]:
    """Put back the fields the run changed (newest first, through ``update_field``, so a
    field changed since is kept), then remove the records it created (bulk.remove_created);
    returns what was kept, ``{row, record, reason}``. Call inside a transaction."""
    kept = []
    updates = run.changes.filter(action=Action.UPDATED).order_by("-pk")
    for change in updates.iterator():
        try:
            with transaction.atomic():
                reason = _put_back(change, actor)
        except (ValidationError, PermissionDenied) as error:
            reason = _message(error)
        if reason:
            record = f"{change.model} {change.object_id}"
            kept.append({"row": change.row, "record": record, "reason": reason})
    return kept + bulk.remove_created(run, actor)


def _put_back(change: ImportChange, actor) -> str:
    model = Client if change.model == "client" else Contact
    record = model.objects.filter(pk=change.object_id).first()
    if record is None:
        return "The record was deleted since."
    try:
        services.update_field(
            actor=actor,
            obj=record,
            field=change.field,
            value=change.old_value,
            seen_value=change.new_value,
        )
    except services.FieldConflict as conflict:
        label = model._meta.get_field(change.field).verbose_name.capitalize()
        who = conflict.changed_by or "Someone"
        return f"{label} was changed by {who} since the import; their value is kept."
    return ""


def finish(run: ImportRun, outcome: Outcome, status: str) -> None:
    run.created, run.updated = outcome.created, outcome.updated
    run.skipped, run.failed = outcome.skipped, outcome.failed
    run.report = outcome.report
    run.status = status
    run.finished_at = timezone.now()
    run.save()
