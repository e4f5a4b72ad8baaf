"""Reading uploaded files into rows of text: CSV, XLSX and vCard.

Every reader returns a :class:`Table`: the headers in file order and the rows
as ``{header: text}``, each with its line (CSV), sheet row (XLSX) or card
number (vCard), so the wizard can name "row 12, column E-mail". A file that
cannot be read raises :class:`UnreadableFile` naming the row (and the column
when one is to blame): an import of a broken file writes nothing.

The size limit (``IMPORT_MAX_BYTES``) is checked on the upload's declared size
before a byte is read (:func:`check_size`); the view also refuses a request
whose Content-Length is over it before Django parses the body.
"""

import codecs
import csv
import io
from dataclasses import dataclass, field

from django.conf import settings

KINDS = {"csv": "CSV", "xlsx": "Excel (XLSX)", "vcf": "vCard"}
DELIMITERS = ",;\t|"
SNIFF_BYTES = 64 * 1024
MAX_COLUMNS = 200


class UnreadableFile(ValueError):
    """The file cannot be imported; the message says where and why."""


@dataclass
class Table:
    headers: list[str]
    rows: list[dict[str, str]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)  # the file's row number of each row

    def __len__(self) -> int:
        return len(self.rows)


def max_bytes() -> int:
    return settings.IMPORT_MAX_BYTES


def check_size(size: int | None) -> None:
    """Refuse a file over the limit from its declared size, before reading it."""
    if size is not None and size > max_bytes():
        raise UnreadableFile(
            f"The file is {size / 1_000_000:.0f} MB; the limit is "
            f"{max_bytes() / 1_000_000:.0f} MB. Split it and import the parts."
        )


def kind_of(file_name: str) -> str:
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    kind = {"csv": "csv", "txt": "csv", "tsv": "csv", "xlsx": "xlsx", "vcf": "vcf"}.get(extension)
    if kind is None:
        raise UnreadableFile("Upload a .csv, .xlsx or .vcf file.")
    return kind


def read_file(upload, file_name: str | None = None) -> Table:
    """The table in ``upload`` (a file object with ``.name``/``.size``, or bytes)."""
    name = file_name or getattr(upload, "name", "") or ""
    check_size(getattr(upload, "size", None))
    data = upload if isinstance(upload, bytes) else upload.read(max_bytes() + 1)
    check_size(len(data))
    reader = {"csv": read_csv, "xlsx": read_xlsx, "vcf": read_vcard}[kind_of(name)]
    table = reader(data)
    if not table.headers:
        raise UnreadableFile("The file has no header row.")
    return table


# --- CSV ---------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 (by its BOM), else line by line: UTF-8 where a
    line is, cp1252 (Excel on Windows) where it is not — a file pasted together from two
    sources keeps both halves' accents."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise UnreadableFile(f"The file says UTF-16 but is not: {error.reason}.") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "\n".join(
            _decode_line(line) for line in data.removeprefix(codecs.BOM_UTF8).split(b"\n")
        )


def _decode_line(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("cp1252", errors="replace")


def sniff_delimiter(text: str) -> str:
    """The delimiter among , ; tab | that splits the first lines most consistently."""
    sample = text[:SNIFF_BYTES]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        return max(DELIMITERS, key=first.count)


def read_csv(data: bytes) -> Table:
    text = decode(data)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    started = 1  # the line the record being read starts on
    try:
        headers = _headers(next(reader, []))
        table = Table(headers=headers)
        started = reader.line_num + 1
        for row in reader:
            _check_width(row, headers, started)
            if any(cell.strip() for cell in row):
                table.rows.append(
                    {h: (row[i] if i < len(row) else "").strip() for i, h in enumerate(headers)}
                )
                table.numbers.append(started)
            started = reader.line_num + 1
    except csv.Error as error:
        raise UnreadableFile(
            f"Row {started}: {error} (a quote that is opened and never closed?)."
        ) from None
    return table


def _check_width(row: list[str], headers: list[str], number: int) -> None:
    surplus = [i for i, cell in enumerate(row) if i >= len(headers) and cell.strip()]
    if surplus:
        raise UnreadableFile(
            f"Row {number}: {len(row)} values for {len(headers)} columns "
            f"(a stray delimiter or quote near column {surplus[0] + 1}?)."
        )


def _headers(cells) -> list[str]:
    """Header names, stripped; blanks named "Column N", repeats numbered."""
    headers = []
    for position, cell in enumerate(cells, start=1):
        name = (
            str(cell if cell is not None else "").strip().lstrip("\ufeff") or f"Column {position}"
        )
        while name in headers:
            name = f"{name} ({position})"
        headers.append(name)
    while (
        headers
        and headers[-1].startswith("Column ")
        and not str(cells[len(headers) - 1] or "").strip()
    ):
        headers.pop()
    if len(headers) > MAX_COLUMNS:
        raise UnreadableFile(f"Row 1: {len(headers)} columns; at most {MAX_COLUMNS} are read.")
    return headers


# --- XLSX --------------------------------------------------------------------------------


def read_xlsx(data: bytes) -> Table:
    """The first sheet (read-only mode: rows streamed, not the whole workbook in memory)."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # zipfile, XML and openpyxl errors alike: not a workbook
        raise UnreadableFile(
            f"This is not a readable Excel workbook ({type(error).__name__})."
        ) from None
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        headers = _headers(next(rows, ()) or ())
        table = Table(headers=headers)
        for number, row in enumerate(rows, start=2):
            cells = [_cell_text(value) for value in row[: len(headers)]]
            if not any(cells):
                continue
            table.rows.append(
                {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(headers)}
            )
            table.numbers.append(number)
    finally:
        workbook.close()
    return table


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


# --- vCard -------------------------------------------------------------------------------

VCARD_HEADERS = ["Name", "E-mail", "Phone", "Company", "Title", "Website", "Address", "Note"]


def read_vcard(data: bytes) -> Table:
    """One row per card: name, emails and phones (joined by ", "), organisation, title…"""
    import vobject

    table = Table(headers=list(VCARD_HEADERS))
    try:
        cards = list(vobject.readComponents(decode(data)))
    except Exception as error:  # vobject raises ParseError and others with a line number
        line = getattr(error, "lineNumber", None)
        where = f"Line {line}: " if line else ""
        raise UnreadableFile(f"{where}this is not a readable vCard file ({error}).") from None
    for number, card in enumerate(cards, start=1):
        table.rows.append(_card_row(card))
        table.numbers.append(number)
    return table


def _card_row(card) -> dict[str, str]:
    def values(key):
        return [_vcard_text(item.value) for item in card.contents.get(key, [])]

    org = values("org")
    return {
        "Name": (values("fn") or [""])[0],
        "E-mail": ", ".join(v for v in values("email") if v),
        "Phone": ", ".join(v for v in values("tel") if v),
        "Company": org[0] if org else "",
        "Title": (values("title") or [""])[0],
        "Website": (values("url") or [""])[0],
        "Address": (values("adr") or [""])[0],
        "Note": (values("note") or [""])[0],
    }


def _vcard_text(value) -> str:
    if isinstance(value, list):  # ORG is a list of units
        return " ".join(str(part) for part in value if part).strip()
    if hasattr(value, "street"):  # ADR
        parts = [value.street, value.city, value.region, value.code, value.country]
        return ", ".join(" ".join(p) if isinstance(p, list) else p for p in parts if p).strip()
    return str(value or "").strip()
