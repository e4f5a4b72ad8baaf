"""One field of a record as the page shows and edits it (``{% field_editor %}`` and its fragments).

:func:`field_view` describes a field without touching the database when the
record's related objects are already loaded (the pages ``select_related``
them), so a page with many fields and contacts runs a constant number of
queries. Editor choices (people, departments, contacts) are only read when an
editor is opened (:func:`editor_options`).
"""

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from decimal import Decimal

from django.db import models
from django.utils import timezone

from accounts.models import Department, User
from records.models import Client, Contact, CustomField, Deal, Task, Ticket
from records.services.base import CUSTOM_PREFIX, LIST_FIELDS
from workspace import moments

MODELS = {"client": Client, "contact": Contact, "deal": Deal, "ticket": Ticket, "task": Task}

# Choice fields shown as a coloured pill rather than plain text.
PILL_FIELDS = {"lifecycle", "status", "priority", "stage"}


@dataclass
class FieldView:
    """What the templates need to show and edit one field of one record."""

    obj: models.Model
    model_name: str
    field: str
    label: str
    input: str  # text, textarea, select, date, datetime, number, tel, list
    shown_as: str  # text, multiline, chips, person, pill, link, emails, phones, money, date,
    # datetime, markdown, minutes
    value: object  # the stored value (a related object for foreign keys)
    text: str  # the value as a person reads it ("" when empty)
    raw: str  # the value as the editor's input holds it (also the conflict baseline)
    choices: list[tuple[str, str]] = dataclass_field(default_factory=list)
    definition: CustomField | None = None

    @property
    def dom_id(self) -> str:
        return f"field-{self.model_name}-{self.obj.pk}-{self.field.replace('.', '-')}"

    @property
    def value_id(self) -> str:
        return f"{self.dom_id}-value"

    @property
    def is_empty(self) -> bool:
        return self.text == ""

    @property
    def items(self) -> list:
        return self.value if isinstance(self.value, list) else []

    @property
    def pill(self) -> str:
        """The pill's colour class: by value, and for a deal stage by open / won / lost."""
        if self.field == "stage":
            state = "won" if self.value.is_won else "lost" if self.value.is_lost else "open"
            return f"pill-stage-{state}"
        return f"pill-{self.field}-{self.value}"


def model_name(obj) -> str:
    return type(obj)._meta.model_name


def custom_definitions() -> dict[str, CustomField]:
    """The active custom client fields by key, in their admin-set order."""
    return {definition.key: definition for definition in CustomField.objects.filter(active=True)}


def field_view(obj, field: str, definitions: dict[str, CustomField] | None = None) -> FieldView:
    """Describe ``field`` of ``obj``. Custom client fields are ``custom.<key>``;
    pass ``definitions`` (from :func:`custom_definitions`) to avoid a query per field."""
    if field.startswith(CUSTOM_PREFIX):
        return _custom_view(obj, field, definitions)
    model_field = type(obj)._meta.get_field(field)
    value = getattr(obj, field)
    view = FieldView(
        obj=obj,
        model_name=model_name(obj),
        field=field,
        label=str(model_field.verbose_name).capitalize(),
        input=_input(model_field, field),
        shown_as=_shown_as(model_field, field),
        value=value,
        text=_text(obj, model_field, value),
        raw=_raw(obj, model_field),
        choices=[(str(key), str(label)) for key, label in model_field.flatchoices],
    )
    if model_field.is_relation:
        view.label = {"owner": "Owner", "assignee": "Assignee"}.get(field, view.label)
    return view


def _custom_view(obj, field: str, definitions) -> FieldView:
    key = field.removeprefix(CUSTOM_PREFIX)
    if definitions is None:
        definitions = {d.key: d for d in CustomField.objects.filter(key=key)}
    definition = definitions.get(key)
    value = obj.custom_values.get(key)
    inputs = {"text": "text", "number": "number", "date": "date", "choice": "select"}
    kind = definition.type if definition else "text"
    return FieldView(
        obj=obj,
        model_name=model_name(obj),
        field=field,
        label=definition.label if definition else key,
        input=inputs[kind],
        shown_as="date" if kind == "date" else "text",
        value=_parse_date(value) if kind == "date" else value,
        text="" if value in (None, "") else str(value),
        raw=editable_text(value),
        choices=[(choice, choice) for choice in definition.choices] if definition else [],
        definition=definition,
    )


def _raw(obj, model_field) -> str:
    """The editor's starting value; a task's due time in its assignee's zone, as entered."""
    value = getattr(obj, model_field.attname)
    if isinstance(obj, Task) and model_field.name == "due_at" and value is not None:
        local = timezone.localtime(value, moments.zone(obj.assignee.timezone)).replace(tzinfo=None)
        return local.isoformat(timespec="seconds" if local.second else "minutes")
    return editable_text(value)


def _parse_date(value):
    try:
        return date.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return value


def _input(model_field, field: str) -> str:
    if model_field.is_relation or model_field.choices:
        return "select"
    if field in LIST_FIELDS:
        return "list"
    if isinstance(model_field, models.TextField):
        return "textarea"
    if isinstance(model_field, models.DateTimeField):
        return "datetime"
    if isinstance(model_field, models.DateField):
        return "date"
    if isinstance(model_field, models.DecimalField | models.IntegerField):
        return "number"
    if field == "phone":
        return "tel"
    return "text"


def _shown_as(model_field, field: str) -> str:
    if model_field.is_relation and model_field.related_model is User:
        return "person"
    if field in PILL_FIELDS:
        return "pill"
    shown = {"tags": "chips", "emails": "emails", "phones": "phones", "phone": "phones"}
    if field in shown:
        return shown[field]
    if field == "domain":
        return "link"
    if field == "description":
        return "markdown"
    if field == "reminder_minutes":
        return "minutes"
    if isinstance(model_field, models.TextField):
        return "multiline"
    if isinstance(model_field, models.DecimalField):
        return "money"
    if isinstance(model_field, models.DateTimeField):
        return "datetime"
    if isinstance(model_field, models.DateField):
        return "date"
    return "text"


def _text(obj, model_field, value) -> str:
    if value is None or value == "" or value == []:
        return ""
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, Decimal):
        currency = getattr(obj, "currency", "")
        return f"{value:,.2f} {currency}".strip()
    return str(value)


def editable_text(value) -> str:
    """A stored value as an input holds it: lists comma-separated, dates ISO, pks as text."""
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def editor_options(view: FieldView) -> list[tuple[str, str]]:
    """The choices of a select editor (people and departments are read here, on demand)."""
    if view.definition is not None or view.input != "select":
        return view.choices
    model_field = type(view.obj)._meta.get_field(view.field)
    if not model_field.is_relation:
        return view.choices
    related = model_field.related_model
    if related is User:
        people = User.objects.filter(is_active=True).order_by("full_name")
        options = [(str(person.pk), str(person)) for person in people]
        current = view.value
        if current is not None and not current.is_active:
            options.insert(0, (str(current.pk), f"{current} (inactive)"))
    elif related is Department:
        options = [(str(d.pk), str(d)) for d in Department.objects.order_by("name")]
    elif related is Contact:
        contacts = Contact.objects.filter(client_id=view.obj.client_id).order_by("name")
        options = [(str(contact.pk), str(contact)) for contact in contacts]
    else:
        options = [(str(row.pk), str(row)) for row in related.objects.all()]
    return [("", "—"), *options] if model_field.null else options


def load_record(name: str, pk: int):
    """A record by model name and pk with what its fields show (None if missing)."""
    model = MODELS[name]
    related = {
        Client: ("owner", "department"),
        Contact: ("client",),
        Deal: ("client", "owner", "stage"),
        Ticket: ("client", "contact", "assignee"),
        Task: ("assignee", "client", "deal", "ticket"),
    }[model]
    return model.objects.select_related(*related).filter(pk=pk).first()
