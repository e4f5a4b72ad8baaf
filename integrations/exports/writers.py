"""Rows to files: CSV (streamed), XLSX (written to a temporary file), vCard.

Every text cell goes through ``workspace.spreadsheets.cell``: one that a
spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) gets
a leading apostrophe, in CSV and XLSX alike.
"""

import csv
import itertools
import tempfile
from collections.abc import AsyncIterator, Iterable, Iterator
from decimal import Decimal

import vobject
from asgiref.sync import sync_to_async
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from records.models import Contact
from workspace.spreadsheets import cell

# Excel opens a UTF-8 CSV as UTF-8 only when it starts with a byte-order mark.
BOM = "\ufeff"


class _Line:
    """A file-like object that hands back what csv.writer writes (one line at a time)."""

    def write(self, text: str) -> str:
        return text


STREAM_BATCH = 1000  # lines handed to the server at a time


async def batched(lines: Iterator[str], size: int = STREAM_BATCH) -> AsyncIterator[str]:
    """``lines`` for an ASGI server, ``size`` at a time: Django serves a synchronous
    iterator under ASGI only after reading it whole, which a 100,000-row export must not.
    The lines are made in the request's sync thread (the database cursor lives there)."""
    take = sync_to_async(lambda: "".join(itertools.islice(lines, size)))
    while chunk := await take():
        yield chunk


def csv_lines(rows: Iterable[list]) -> Iterator[str]:
    """The rows as CSV text, line by line (for a StreamingHttpResponse)."""
    writer = csv.writer(_Line())
    yield BOM
    for row in rows:
        yield writer.writerow([cell(value) for value in row])


def write_csv(rows: Iterable[list], target) -> None:
    """The rows as CSV into the text file ``target``."""
    target.writelines(csv_lines(rows))


def _xlsx_cell(value):
    """Numbers stay numbers; the rest as in CSV, without the control characters XLSX forbids."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    value = cell(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def xlsx_file(rows: Iterable[list], title: str):
    """The rows as an XLSX workbook of one sheet, in a temporary file (open, at its start).

    openpyxl's write-only mode keeps one row in memory at a time; the file is
    removed when closed (the response closes it once sent).
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    for row in rows:
        sheet.append([_xlsx_cell(value) for value in row])
    target = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 (the response closes it)
    workbook.save(target)
    target.seek(0)
    return target


def vcard(contact: Contact) -> str:
    """One contact as a vCard 3.0: name, organization (its client), title, emails, phones."""
    card = vobject.vCard()
    card.add("fn").value = contact.name
    given, _, family = contact.name.partition(" ")  # a guess: the first word is the given name
    card.add("n").value = vobject.vcard.Name(family=family, given=given)
    card.add("org").value = [contact.client.name]
    if contact.title:
        card.add("title").value = contact.title
    for email in contact.emails:
        entry = card.add("email")
        entry.value, entry.type_param = email, "INTERNET"
    for phone in contact.phones:
        card.add("tel").value = phone
    if contact.notes:
        card.add("note").value = contact.notes
    card.add("uid").value = f"workspace-contact-{contact.pk}"
    return card.serialize()


def vcards(contacts: Iterable[Contact]) -> Iterator[str]:
    for contact in contacts:
        yield vcard(contact)
