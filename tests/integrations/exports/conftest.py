"""Export fixtures: the records fixtures, a few clients to filter and sort, files parsed back."""

import csv
import io

import pytest
from openpyxl import load_workbook

from records import services
from tests.records.conftest import (  # noqa: F401 (fixtures)
    acme,
    contact,
    deal,
    defaults,
    pipeline,
    stages,
    ticket,
)


@pytest.fixture
def book(member, acme):  # noqa: F811 (the fixture)
    """Acme (lead) and three more clients of ``member``, one of them a customer."""
    globex = services.create_client(
        actor=member, name="Globex", domain="globex.example", lifecycle="customer"
    )
    initech = services.create_client(actor=member, name="Initech", domain="initech.example")
    evil = services.create_client(actor=member, name='=HYPERLINK("http://evil.example")')
    return {"acme": acme, "globex": globex, "initech": initech, "evil": evil}


def read_csv(response) -> list[list[str]]:
    """A CSV response's rows (streamed or not), its byte-order mark dropped."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def read_xlsx(response) -> list[list]:
    """An XLSX response's first sheet as rows of values (None for empty cells)."""
    body = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(body)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def xlsx_cells(response):
    body = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(body)).active
    return [cell for row in sheet.iter_rows() for cell in row]
