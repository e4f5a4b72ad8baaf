"""Reading files: encodings, delimiters, XLSX, vCard, broken files and the size limit."""

import codecs
import io

import openpyxl
import pytest

from integrations.imports.reading import UnreadableFile, check_size, read_file
from tests.integrations.imports.conftest import csv_bytes

ROWS = [
    ["Name", "E-mail", "City"],
    ["Zoë Müller", "zoe@example.com", "Köln"],
    ["Ana", "a@b.example", "Porto"],
]


def _expect_rows(table):
    assert table.headers == ["Name", "E-mail", "City"]
    assert table.rows[0] == {"Name": "Zoë Müller", "E-mail": "zoe@example.com", "City": "Köln"}
    assert table.numbers == [2, 3]


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-8"),
        lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
        lambda text: text.encode("utf-16"),  # with its BOM
        lambda text: text.encode("cp1252"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16", "cp1252"],
)
def test_encodings_are_detected(encode):
    text = csv_bytes(ROWS).decode()
    _expect_rows(read_file(encode(text), "people.csv"))


def test_a_file_of_mixed_encodings_keeps_each_lines_accents():
    data = "Name,City\nZoë Müller,Köln\n".encode() + "René Dupré,Besançon\n".encode("cp1252")
    table = read_file(data, "mixed.csv")
    assert [row["City"] for row in table.rows] == ["Köln", "Besançon"]
    assert table.rows[1]["Name"] == "René Dupré"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(delimiter):
    _expect_rows(read_file(csv_bytes(ROWS, delimiter=delimiter), "people.csv"))


def test_quoted_delimiters_and_blank_lines_are_read():
    data = b'Name;Address\n"Acme; Inc";"Main St 1; Berlin"\n\n;\nBeta;x\n'
    table = read_file(data, "a.csv")
    assert [row["Name"] for row in table.rows] == ["Acme; Inc", "Beta"]
    assert table.numbers == [2, 5]


def test_a_row_with_too_many_values_names_the_row_and_column():
    data = b"Name,Email\nAna,a@b.example\nBo,b@b.example,surplus\n"
    with pytest.raises(UnreadableFile, match=r"Row 3: 3 values for 2 columns .*column 3"):
        read_file(data, "a.csv")


def test_an_unclosed_quote_names_the_row_it_opens_on():
    data = b'Name,Email\nAna,a@b.example\n"Bo,b@b.example\nCe,c@b.example\n'
    with pytest.raises(UnreadableFile, match=r"Row 3: unexpected end of data"):
        read_file(data, "a.csv")


def test_a_stray_quote_names_its_row():
    with pytest.raises(UnreadableFile, match=r"Row 3: "):
        read_file(b'Name,Email\nAna,x@y.example\n"Bo"x,y\n', "a.csv")


def test_xlsx_first_sheet_is_read():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in [
        ["Name", "E-mail", "Employees"],
        ["Acme", "a@acme.example", 12.0],
        [None, None, None],
        ["Beta", None, 3],
    ]:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_file(buffer.getvalue(), "book.xlsx")
    assert table.headers == ["Name", "E-mail", "Employees"]
    assert table.rows == [
        {"Name": "Acme", "E-mail": "a@acme.example", "Employees": "12"},
        {"Name": "Beta", "E-mail": "", "Employees": "3"},
    ]
    assert table.numbers == [2, 4]


def test_a_broken_workbook_is_refused():
    with pytest.raises(UnreadableFile, match="not a readable Excel workbook"):
        read_file(b"PK\x03\x04 not really a zip", "book.xlsx")


VCARDS = b"""BEGIN:VCARD
VERSION:3.0
FN:Jo Acme
ORG:Acme GmbH
TITLE:Buyer
EMAIL;TYPE=work:jo@acme.example
EMAIL;TYPE=home:jo@home.example
TEL:+49 30 555555
URL:https://acme.example
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Bo Beta
N:Beta;Bo;;;
END:VCARD
"""


def test_vcards_become_rows():
    table = read_file(VCARDS, "contacts.vcf")
    assert table.rows[0]["Name"] == "Jo Acme"
    assert table.rows[0]["E-mail"] == "jo@acme.example, jo@home.example"
    assert table.rows[0]["Company"] == "Acme GmbH"
    assert table.rows[0]["Phone"] == "+49 30 555555"
    assert table.rows[1]["Name"] == "Bo Beta" and table.rows[1]["E-mail"] == ""
    assert table.numbers == [1, 2]


def test_a_broken_vcard_is_refused():
    with pytest.raises(UnreadableFile, match="vCard"):
        read_file(b"BEGIN:VCARD\nFN:Jo\nEND:VCALENDAR\n", "x.vcf")


def test_unknown_extensions_are_refused():
    with pytest.raises(UnreadableFile, match=r"\.csv, \.xlsx or \.vcf"):
        read_file(b"a,b\n1,2\n", "clients.pdf")


def test_the_size_limit_is_checked_from_the_declared_size(settings):
    settings.IMPORT_MAX_BYTES = 1000
    check_size(1000)
    with pytest.raises(UnreadableFile, match="limit is 0 MB"):
        check_size(200_000_000)

    class Huge:
        name, size = "big.csv", 200_000_000

        def read(self, *args):
            raise AssertionError("a file over the limit must not be read")

    with pytest.raises(UnreadableFile):
        read_file(Huge())
