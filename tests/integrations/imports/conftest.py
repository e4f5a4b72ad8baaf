"""Import fixtures: the records fixtures, and files to upload."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from integrations.imports import services
from integrations.imports.models import ImportRun
from tests.records.conftest import acme, defaults  # noqa: F401
from tests.servers import migrated_sqlite, server_db  # noqa: F401 (real workers' database)


def csv_bytes(rows, *, delimiter=",", encoding="utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding)


def upload(actor, data: bytes, name="clients.csv", kind="clients") -> ImportRun:
    return services.upload(actor=actor, upload_file=SimpleUploadedFile(name, data), kind=kind)


def mapped(actor, rows, *, kind="clients", mode="skip", name="file.csv") -> ImportRun:
    """A run of ``rows`` (header first) with the guessed mapping and ``mode``, ready to go."""
    run = upload(actor, csv_bytes(rows), name=name, kind=kind)
    run = services.set_mapping(actor=actor, run=run, columns=run.mapping)
    return services.set_duplicate_mode(actor=actor, run=run, mode=mode)


@pytest.fixture
def clients_csv():
    return [
        ["Company", "Website", "Phone", "Industry", "Country"],
        [
            "Globex Corporation",
            "https://www.globex.example/about",
            "+49 30 1234567",
            "Energy",
            "DE",
        ],
        ["Initech", "initech.example", "", "Software", "Germany"],
    ]
