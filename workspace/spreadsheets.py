"""Cells for files people open in a spreadsheet (CSV, XLSX): plain values, no formulas.

A spreadsheet runs a text cell that starts with ``=``, ``+``, ``-`` or ``@`` (and,
in some, a tab or carriage return) as a formula: a client called
``=HYPERLINK("http://evil.example")`` would become a link in whoever opens the
export. :func:`cell` puts a leading apostrophe before such text, the usual
escape; numbers stay numbers (``-3`` is a number, not a formula).
"""

from decimal import Decimal

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    """A spreadsheet cell: numbers and dates plain (dates in ISO 8601); text that a
    spreadsheet would run as a formula quoted with a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    return safe_text(str(value))


def safe_text(text: str) -> str:
    """``text``, with a leading apostrophe when a spreadsheet would run it as a formula."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
