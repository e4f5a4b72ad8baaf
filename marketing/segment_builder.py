"""The segment builder's form: its inputs read into groups of rows, edited, and read back.

The builder posts its whole state on every change (htmx): ``match``, then per
group ``g<i>-match`` and per condition ``g<i>-c<j>-field``, ``-op`` and
``-value``, numbered from 0 without gaps (each re-render renumbers them). A
button's ``action`` edits the state first: ``add-group``, ``add-condition-<i>``,
``remove-group-<i>``, ``remove-condition-<i>-<j>``.

A row whose value is still empty is *unfinished*: the live count leaves it
out (and says so), saving refuses it with the catalog's sentence.
"""

import re
from dataclasses import dataclass, field

from marketing import segments
from marketing.segments import NONE, Op, SegmentField

ACTION = re.compile(
    r"(add-group)|(add-condition|remove-group)-(\d+)|(remove-condition)-(\d+)-(\d+)"
)
DEFAULT_FIELD = "lifecycle"


@dataclass
class Row:
    field_key: str
    op_key: str
    value: str  # as typed; tags joined with ", "
    field: SegmentField | None = None
    op: Op | None = None

    @property
    def unfinished(self) -> bool:
        return self.op is not None and self.op.kind != NONE and not self.value.strip()

    @property
    def choices(self) -> list[tuple[str, str]]:
        return self.field.choices() if self.field and self.field.choices else []

    def as_condition(self) -> dict:
        return {"field": self.field_key, "op": self.op_key, "value": self.value}


@dataclass
class Group:
    match: str = "all"
    rows: list[Row] = field(default_factory=list)


@dataclass
class Builder:
    match: str = "all"
    groups: list[Group] = field(default_factory=list)
    fields: dict[str, SegmentField] = field(default_factory=dict)

    @property
    def field_groups(self) -> list[tuple[str, list[SegmentField]]]:
        """The fields by their group, for the field select's optgroups."""
        grouped: dict[str, list[SegmentField]] = {}
        for each in self.fields.values():
            grouped.setdefault(each.group, []).append(each)
        return list(grouped.items())

    @property
    def unfinished(self) -> int:
        return sum(row.unfinished for group in self.groups for row in group.rows)

    @property
    def condition_count(self) -> int:
        return sum(len(group.rows) for group in self.groups)

    def definition(self, *, finished_only: bool = False) -> dict:
        """The state as a definition (not validated); ``finished_only`` skips unfinished rows."""
        return {
            "match": self.match,
            "groups": [
                {
                    "match": group.match,
                    "conditions": [
                        row.as_condition()
                        for row in group.rows
                        if not (finished_only and row.unfinished)
                    ],
                }
                for group in self.groups
            ],
        }


def _row(fields, field_key: str, op_key: str = "", value: str = "") -> Row:
    """A row with its field and operator resolved; a new field starts at its first operator."""
    segment_field = fields.get(field_key) or fields[DEFAULT_FIELD]
    op = segment_field.op(op_key) or segment_field.ops[0]
    if op.key != op_key and op_key:
        value = ""  # another operator's value may not fit this one
    return Row(segment_field.key, op.key, "" if op.kind == NONE else value, segment_field, op)


def _value_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(each) for each in value)
    return str(value)


def from_definition(definition: dict, fields=None) -> Builder:
    """A saved definition as builder rows (one empty group when it has none)."""
    fields = fields if fields is not None else segments.catalog()
    builder = Builder(definition.get("match", "all"), [], fields)
    for group in definition.get("groups", []):
        rows = [
            _row(fields, c.get("field", ""), c.get("op", ""), _value_text(c.get("value")))
            for c in group.get("conditions", [])
            if c.get("field") in fields
        ]
        builder.groups.append(Group(group.get("match", "all"), rows))
    if not builder.groups:
        builder.groups.append(Group("all", []))
    return builder


def from_post(data, fields=None) -> Builder:
    """The builder as posted, then the posted ``action`` applied."""
    fields = fields if fields is not None else segments.catalog()
    builder = Builder(_match(data.get("match")), [], fields)
    for i in range(segments.MAX_GROUPS):
        if f"g{i}-match" not in data:
            break
        group = Group(_match(data.get(f"g{i}-match")))
        for j in range(segments.MAX_CONDITIONS):
            prefix = f"g{i}-c{j}"
            if f"{prefix}-field" not in data:
                break
            group.rows.append(
                _row(
                    fields,
                    data.get(f"{prefix}-field", ""),
                    data.get(f"{prefix}-op", ""),
                    data.get(f"{prefix}-value", "")[:500],
                )
            )
        builder.groups.append(group)
    _apply(builder, data.get("action", ""))
    if not builder.groups:
        builder.groups.append(Group())
    return builder


def _match(value) -> str:
    return value if value in segments.MATCHES else "all"


def _apply(builder: Builder, action: str) -> None:
    found = ACTION.fullmatch(action or "")
    if found is None:
        return
    add_group, name, index, remove_condition, group_index, row_index = found.groups()
    full = builder.condition_count >= segments.MAX_CONDITIONS
    if add_group and len(builder.groups) < segments.MAX_GROUPS and not full:
        builder.groups.append(Group(rows=[_row(builder.fields, DEFAULT_FIELD)]))
    elif name == "add-condition" and int(index) < len(builder.groups) and not full:
        builder.groups[int(index)].rows.append(_row(builder.fields, DEFAULT_FIELD))
    elif name == "remove-group" and int(index) < len(builder.groups):
        del builder.groups[int(index)]
    elif remove_condition and int(group_index) < len(builder.groups):
        rows = builder.groups[int(group_index)].rows
        if int(row_index) < len(rows):
            del rows[int(row_index)]
