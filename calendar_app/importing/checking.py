"""Checking the file as a whole, once each VEVENT is read: series and their changed
occurrences (RECURRENCE-ID). Duplicates are errors; what cannot be applied is noted."""

import zoneinfo
from datetime import UTC, datetime, timedelta

from calendar_app.importing.items import ImportResult, Item, _original_start, _shown
from calendar_app.recurrence import build_rule


def _check_series(items: list[Item], result: ImportResult) -> None:
    """Attach overrides to their series; duplicate UIDs and occurrences are errors.

    Changed occurrences whose series is missing, does not repeat, or has no
    such occurrence are skipped with a note; cancelled ones become EXDATEs.
    """
    series: dict[str, Item] = {}
    for item in items:
        if item.recurrence_value is None:
            if item.uid in series:
                first = series[item.uid].outline.line
                raise item.fail(f"UID “{item.uid}” is also the UID of the VEVENT on line {first}.")
            series[item.uid] = item
    seen: dict[tuple[str, datetime], Item] = {}
    for item in [item for item in items if item.recurrence_value is not None]:
        owner = series.get(item.uid)
        reason = _orphan_reason(item, owner)
        if reason:
            result.skip(f"Line {item.outline.line}, VEVENT “{item.title}”: {reason}")
            items.remove(item)
            continue
        item.recurrence_id = _original_start(item.recurrence_value, owner)
        key = (item.uid, item.recurrence_id)
        if key in seen:
            raise item.fail(
                "changes the same occurrence as the VEVENT on line "
                f"{seen[key].outline.line} (same UID and RECURRENCE-ID)."
            )
        seen[key] = item
        if not _is_occurrence(owner, item.recurrence_id):
            result.skip(
                f"Line {item.outline.line_of('RECURRENCE-ID')}, VEVENT “{item.title}”: "
                f"“{owner.title}” has no occurrence at "
                f"{_shown(item.recurrence_id, owner.tz_name)} to change; skipped."
            )
            items.remove(item)
        elif item.cancelled:
            owner.exdates.add(item.recurrence_id)
            items.remove(item)


def _orphan_reason(item: Item, owner: Item | None) -> str:
    if owner is None:
        return "a changed occurrence of a repeating event that is not in this file; skipped."
    if not owner.rrule:
        return f"a changed occurrence, but “{owner.title}” does not repeat; skipped."
    return ""


def _is_occurrence(series: Item, moment: datetime) -> bool:
    rule = build_rule(series.rrule, series.first_start, series.tz_name)
    local = moment.astimezone(zoneinfo.ZoneInfo(series.tz_name))
    found = rule.after(local - timedelta(seconds=1))
    return found is not None and found.astimezone(UTC) == moment
