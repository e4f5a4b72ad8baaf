"""The small measures every area's reports share: shares in percent, hours between two
moments, the row that folds the people a viewer may not see one by one, and the note on
deals left out for being in another currency."""

OTHERS = "Others"  # the row of the people the viewer may not see one by one
SECONDS_PER_HOUR = 3600


def percent(part, whole, digits: int = 1) -> float | None:
    """``part`` as a percentage of ``whole`` (None when there is no whole)."""
    return round(100 * part / whole, digits) if whole else None


def hours_between(start, end) -> float:
    return (end - start).total_seconds() / SECONDS_PER_HOUR


def other_currency_notes(counts: dict[str, int], what: str = "deal") -> list[str]:
    """A note per currency left out, in code order: "2 deals in USD are not counted: pick
    USD above." (``what``: the counted thing, "won deal")."""
    return [
        f"{count} {what}{'' if count == 1 else 's'} in {currency} "
        f"{'is' if count == 1 else 'are'} not counted: pick {currency} above."
        for currency, count in sorted(counts.items())
    ]
