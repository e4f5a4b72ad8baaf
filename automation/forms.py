"""The rule builder's form: its inputs read into a draft, edited, and read back.

The builder posts its whole state on every change of shape (htmx): the rule's own
fields (``name``, ``description``, ``department``, ``owner``, ``trigger``, ``match``,
``debounce_seconds``, ``enabled``), the trigger's options as ``opt-<name>``, each
condition as ``c<i>-field``, ``-op``, ``-value`` (and ``-value2`` for a range), each
action as ``a<i>-type`` and ``a<i>-<param>``, numbered from 0 without gaps (each
re-render renumbers them). A button's ``step`` edits the draft first: ``add-condition``,
``remove-condition-<i>``, ``add-action``, ``remove-action-<i>``.

What is typed is kept as typed (strings): the draft turns it into the rule's JSON only
when it is saved (``rule_fields``), and the services' checks (automation/triggers.py,
conditions.py, actions/) say what is wrong, by field and by row, in words.
"""

import re
from dataclasses import dataclass, field
from functools import cached_property

from automation import actions, conditions, subjects, triggers
from automation.models import Rule
from records.services import EDITABLE_FIELDS

MAX_ROWS = 20
STEP = re.compile(r"(add-condition|add-action)|(remove-condition|remove-action)-(\d+)")
ROW_MESSAGE = re.compile(r"^(Condition|Action) (\d+)\b")
CHOICE_LIKE = {"choice", "person", "department", "segment"}
ID_KINDS = {"person", "department", "snippet", "endpoint"}  # settings that name a row by id


@dataclass
class ConditionRow:
    """One condition as typed: ``value`` is a list for "is one of", ``value2`` the end
    of a time span."""

    field_key: str
    op: str = ""
    value: str | list[str] = ""
    value2: str = ""
    field_type: str = ""
    field_label: str = ""
    trigger: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def ops(self) -> list[tuple[str, str]]:
        return operators_for(self.field_type)

    @property
    def needs_value(self) -> bool:
        return self.op not in conditions.VALUELESS

    @property
    def is_span(self) -> bool:
        return self.field_type == conditions.TIME

    @property
    def is_multiple(self) -> bool:
        return self.field_type == conditions.CHOICE and self.op in conditions.MULTIPLE

    @cached_property
    def choices(self) -> list[tuple[str, str]]:
        if self.field_type not in CHOICE_LIKE:
            return []
        return conditions.value_choices(self.trigger, self.field_key)

    def as_condition(self) -> dict:
        condition = {"field": self.field_key, "op": self.op}
        if not self.needs_value:
            return condition
        if self.is_span:
            condition["value"] = [self.value, self.value2]
        elif self.field_type in ("person", "department", "segment"):
            condition["value"] = _int(self.value) if _int(self.value) is not None else self.value
        else:
            condition["value"] = _typed(self.value, self.field_type)
        return condition


@dataclass
class ActionRow:
    """One action as typed; its settings are its type's ``params`` (automation/actions)."""

    type: str
    values: dict = field(default_factory=dict)  # param name -> str or list[str]
    trigger: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def params(self) -> list:
        return [param for param in _params_of(self.type) if self.shows(param)]

    @cached_property
    def field_choices(self) -> list[tuple[str, str]]:
        """For "Change a field": the fields of the trigger's record a person edits."""
        trigger = triggers.CATALOG.get(self.trigger)
        model = subjects.MODELS.get(trigger.subject_type) if trigger else None
        if model not in EDITABLE_FIELDS:
            return []
        return [
            (name, label)
            for name, label in triggers.changing_fields(model)
            if name in EDITABLE_FIELDS[model] or name.startswith(triggers.CUSTOM_PREFIX)
        ]

    @cached_property
    def value_choices(self) -> list[tuple[str, str]]:
        """For "Change a field": the values the chosen field takes, when it has a list."""
        trigger = triggers.CATALOG.get(self.trigger)
        chosen = self.values.get("field")
        if not trigger or not chosen or chosen.startswith(triggers.CUSTOM_PREFIX):
            return []
        return conditions.value_choices(self.trigger, f"{trigger.subject_type}.{chosen}")

    def shows(self, param) -> bool:
        if param.shown_when is None:
            return True
        other, values = param.shown_when
        return self.values.get(other, "") in values

    def value(self, param):
        value = self.values.get(param.name, [] if param.kind == "people" else "")
        if param.kind == "lines" and isinstance(value, list):
            return "\n".join(value)
        return value

    def as_action(self) -> dict:
        action = {"type": self.type}
        for param in self.params:
            action[param.name] = _param_value(param, self.value(param))
        return action


@dataclass
class Draft:
    """What the builder shows: a rule being built or edited, as typed."""

    name: str = ""
    description: str = ""
    department: str = ""  # a department's id, "" = workspace-wide
    owner: str = ""
    trigger: str = ""
    options: dict = field(default_factory=dict)
    match: str = Rule.Match.ALL
    conditions: list[ConditionRow] = field(default_factory=list)
    actions: list[ActionRow] = field(default_factory=list)
    debounce_seconds: str = "0"
    enabled: bool = False
    version: int | None = None
    errors: dict = field(default_factory=dict)

    @property
    def trigger_groups(self) -> list[tuple[str, list[tuple[str, str]]]]:
        return triggers.choices()

    @cached_property
    def option_fields(self) -> list:
        return list(triggers.option_fields(self.trigger))

    @cached_property
    def condition_fields(self) -> list[tuple[str, str, str]]:
        return list(conditions.field_choices(self.trigger))

    @property
    def action_types(self) -> list[tuple[str, str]]:
        return [(key, each.label) for key, each in actions.CATALOG.items()]

    def rule_fields(self) -> dict:
        """The draft as the keyword arguments of ``services.create_rule``/``update_rule``
        (not validated: the services do that)."""
        return {
            "name": self.name.strip(),
            "description": self.description.strip(),
            "trigger": self.trigger,
            "trigger_options": self._options_json(),
            "match": self.match,
            "conditions": [row.as_condition() for row in self.conditions],
            "actions": [row.as_action() for row in self.actions],
            "debounce_seconds": _typed(self.debounce_seconds, "number"),
        }

    def option_value(self, option):
        """What the option's input shows: as typed, else the trigger's default."""
        value = self.options.get(option.name)
        if value in (None, "", []) and option.default is not None:
            value = _text(option.default, keep_list=True)
        return value if value is not None else ""

    def _options_json(self) -> dict:
        typed = {}
        for option in self.option_fields:
            raw = self.options.get(option.name)
            if raw in (None, "", []):
                continue
            typed[option.name] = _option_value(option, raw)
        return typed

    def add_errors(self, error_dict: dict) -> None:
        """Service errors by field; a condition's or action's message goes to its row."""
        rows = {"Condition": self.conditions, "Action": self.actions}
        for name, messages in error_dict.items():
            for message in messages:
                found = ROW_MESSAGE.match(message)
                row_list = rows.get(found.group(1)) if found else None
                index = int(found.group(2)) - 1 if found else -1
                if row_list is not None and 0 <= index < len(row_list):
                    row_list[index].errors.append(message)
                else:
                    self.errors.setdefault(_form_field(name), []).append(message)


def _form_field(name: str) -> str:
    return "general" if name == "__all__" else name


def operators_for(field_type: str) -> list[tuple[str, str]]:
    return list(conditions.OPERATORS.get(field_type, ()))


def from_rule(rule: Rule) -> Draft:
    draft = Draft(
        name=rule.name,
        description=rule.description,
        department=str(rule.department_id or ""),
        owner=str(rule.owner_id),
        trigger=rule.trigger,
        options={key: _text(v, keep_list=True) for key, v in rule.trigger_options.items()},
        match=rule.match,
        debounce_seconds=str(rule.debounce_seconds),
        enabled=rule.enabled,
        version=rule.version,
    )
    for condition in rule.conditions:
        value = condition.get("value", "")
        row = _condition_row(draft, condition.get("field", ""), condition.get("op", ""), "", "")
        if row.is_span and isinstance(value, list) and len(value) == 2:
            row.value, row.value2 = str(value[0]), str(value[1])
        else:
            row.value = _text(value, keep_list=row.is_multiple)
        draft.conditions.append(row)
    for action in rule.actions:
        values = {key: _text(v, keep_list=True) for key, v in action.items() if key != "type"}
        draft.actions.append(ActionRow(action.get("type", ""), values, draft.trigger))
    return draft


def new_draft(*, owner, department_id: int | None) -> Draft:
    """A new rule: the first trigger, no conditions, one action to fill in."""
    draft = Draft(
        owner=str(owner.pk),
        department=str(department_id or ""),
        trigger=next(iter(triggers.CATALOG), ""),
    )
    _apply(draft, "add-action")
    return draft


def from_post(data) -> Draft:
    """The draft as posted, then the posted ``step`` applied."""
    trigger = data.get("trigger", "")
    draft = Draft(
        name=data.get("name", "")[:200],
        description=data.get("description", "")[:1000],
        department=data.get("department", ""),
        owner=data.get("owner", ""),
        trigger=trigger if trigger in triggers.CATALOG else next(iter(triggers.CATALOG), ""),
        match=data.get("match") if data.get("match") in Rule.Match.values else Rule.Match.ALL,
        debounce_seconds=data.get("debounce_seconds", "0").strip() or "0",
        enabled=data.get("enabled") in ("on", "1", "true"),
        version=_int(data.get("version")),
    )
    for option in draft.option_fields:
        key = f"opt-{option.name}"
        draft.options[option.name] = data.getlist(key) if _is_list(option) else data.get(key, "")
    for i in range(MAX_ROWS):
        prefix = f"c{i}"
        if f"{prefix}-field" not in data:
            break
        row = _condition_row(
            draft,
            data.get(f"{prefix}-field", ""),
            data.get(f"{prefix}-op", ""),
            data.get(f"{prefix}-value", "")[:500],
            data.get(f"{prefix}-value2", "")[:500],
        )
        if row.is_multiple and row.value:
            row.value = [v[:500] for v in data.getlist(f"{prefix}-value")]
        draft.conditions.append(row)
    for i in range(MAX_ROWS):
        prefix = f"a{i}"
        if f"{prefix}-type" not in data:
            break
        kind = data.get(f"{prefix}-type", "")
        values = {}
        for param in _params_of(kind):
            name = f"{prefix}-{param.name}"
            many = param.kind == "people"
            values[param.name] = data.getlist(name) if many else data.get(name, "")
        draft.actions.append(ActionRow(kind, values, draft.trigger))
    _apply(draft, data.get("step", ""))
    return draft


def _condition_row(draft: Draft, field_key: str, op: str, value: str, value2: str) -> ConditionRow:
    """A row with its field resolved against the trigger's fields: a field the trigger
    does not offer falls back to its first one; a new field starts at its first operator."""
    known = {key: (label, kind) for key, label, kind in draft.condition_fields}
    if field_key not in known and known:
        field_key, value, value2 = next(iter(known)), "", ""
    label, kind = known.get(field_key, (field_key, ""))
    ops = [key for key, _ in operators_for(kind)]
    if op not in ops:
        op, value, value2 = (ops[0] if ops else op), "", ""
    if kind == conditions.WORKING_HOURS:
        value = "owner"  # the only whose hours there are
    return ConditionRow(field_key, op, value, value2, kind, label, draft.trigger)


def _apply(draft: Draft, step: str) -> None:
    found = STEP.fullmatch(step or "")
    if found is None:
        return
    add, remove, index = found.groups()
    if add == "add-condition" and len(draft.conditions) < MAX_ROWS and draft.condition_fields:
        draft.conditions.append(_condition_row(draft, "", "", "", ""))
    elif add == "add-action" and len(draft.actions) < MAX_ROWS and actions.CATALOG:
        first = next(iter(actions.CATALOG))
        draft.actions.append(ActionRow(first, _defaults(first), draft.trigger))
    elif remove == "remove-condition" and int(index) < len(draft.conditions):
        del draft.conditions[int(index)]
    elif remove == "remove-action" and int(index) < len(draft.actions):
        del draft.actions[int(index)]


def _params_of(kind: str) -> tuple:
    found = actions.CATALOG.get(kind)
    return found.params if found else ()


def _defaults(kind: str) -> dict:
    """A new action's choices start at their first option (so its dependent inputs show)."""
    return {p.name: p.choices[0][0] for p in _params_of(kind) if p.choices}


def _param_value(param, raw):
    if param.kind == "people":
        return [_int(each) or each for each in raw if str(each).strip()]
    if param.kind == "lines":
        return [line.strip() for line in str(raw).splitlines() if line.strip()]
    if param.kind in ID_KINDS:
        return _int(raw) if _int(raw) is not None else None
    if param.kind == "number":
        return _typed(raw, "number")
    return str(raw).strip()


def _option_value(option, raw):
    if option.kind == "weekdays":
        return [_typed(each, "number") for each in raw]
    if _is_list(option):
        return list(raw)
    return _typed(raw, option.kind)


def _is_list(option) -> bool:
    """Options of several values (triggers.OptionField kinds "choices" and "weekdays")."""
    return option.kind in ("choices", "weekdays")


def _typed(raw, kind: str):
    """A number typed as a number; anything else as typed (the services' checks word the
    refusal: "“abc” is not a number")."""
    if kind == "number" and isinstance(raw, str) and re.fullmatch(r"-?\d+", raw.strip()):
        return int(raw.strip())
    return raw.strip() if isinstance(raw, str) else raw


def _int(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _text(value, keep_list: bool = False):
    if isinstance(value, list):
        return [str(each) for each in value] if keep_list else ", ".join(str(e) for e in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
