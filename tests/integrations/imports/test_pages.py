"""The wizard's pages: upload, mapping, preview, start, report, undo; size limit, access,
query counts; and import → export → import again."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from integrations.imports import services
from integrations.imports.models import ImportRun
from integrations.imports.tasks import run_import
from records.models import Client
from tests.factories import UserFactory
from tests.integrations.imports.conftest import csv_bytes, mapped

pytestmark = pytest.mark.django_db
LIST = reverse("imports:list")


def _upload(client, data: bytes, name="clients.csv", kind="clients"):
    return client.post(LIST, {"kind": kind, "file": SimpleUploadedFile(name, data)})


def test_the_wizard_from_upload_to_undo(client, member, defaults, clients_csv):
    client.force_login(member)
    response = _upload(client, csv_bytes(clients_csv))
    run = ImportRun.objects.get()
    assert response.url == reverse("imports:run", args=[run.pk])
    assert client.get(response.url).url == reverse("imports:mapping", args=[run.pk])

    page = client.get(reverse("imports:mapping", args=[run.pk])).content.decode()
    assert '<option value="domain" selected>' in page and "globex.example" in page
    response = client.post(
        reverse("imports:mapping", args=[run.pk]),
        {
            "column-0": "name",
            "column-1": "domain",
            "column-2": "phone",
            "column-3": "",
            "column-4": "country",
        },
    )
    assert response.url == reverse("imports:preview", args=[run.pk])
    page = client.get(response.url).content.decode()
    assert "Dry run" in page and "Import 2 rows" in page and "globex.example" in page
    assert Client.objects.count() == 0

    response = client.post(reverse("imports:start", args=[run.pk]))
    run_import.call(run.pk)
    page = client.get(response.url).content.decode()
    assert f'data-live-topic="import.{run.pk}"' in page and "Undo this import" in page
    assert set(Client.objects.values_list("name", flat=True)) == {"Globex Corporation", "Initech"}

    client.post(reverse("imports:undo", args=[run.pk]))
    assert Client.objects.count() == 0
    assert (
        "The import was undone."
        in client.get(reverse("imports:run", args=[run.pk])).content.decode()
    )


def test_a_bad_mapping_is_shown_with_the_reason(client, member, defaults):
    client.force_login(member)
    _upload(client, csv_bytes([["A", "B"], ["x", "y"]]))
    run = ImportRun.objects.get()
    response = client.post(reverse("imports:mapping", args=[run.pk]), {"column-0": "domain"})
    assert response.status_code == 400
    assert "Choose the column that holds the name." in response.content.decode()


def test_the_preview_shows_row_errors_and_counts_them(client, member, defaults):
    rows = [
        ["Company", "Website"],
        *[["", f"x{i}.example"] for i in range(25)],
        ["Fine", "fine.example"],
    ]
    run = mapped(member, rows)
    client.force_login(member)
    page = client.get(reverse("imports:preview", args=[run.pk])).content.decode()
    assert "<strong>25</strong><span>with errors</span>" in page
    assert "the first 20 of 25" in page
    assert "Company: The name is missing." in page


def test_a_broken_file_is_refused_whole_with_its_row(client, member, defaults):
    client.force_login(member)
    response = _upload(client, b"Name,Email\nAna,a@b.example\nBo,b@b.example,extra\n")
    assert response.status_code == 400
    assert "Row 3: 3 values for 2 columns" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_a_200_mb_upload_is_refused_before_it_is_read(client, member, defaults):
    """The request declares 200 MB; the view answers 413 from the header alone (the test
    client's body is small: nothing of it is parsed)."""
    client.force_login(member)
    body = io.BytesIO(b"x" * 100)
    response = client.generic(
        "POST",
        LIST,
        data=body.getvalue(),
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(200 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert "limit is 50 MB" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_an_upload_over_the_limit_is_refused_by_its_size(client, member, defaults, settings):
    settings.IMPORT_MAX_BYTES = 1000
    client.force_login(member)
    response = _upload(client, b"Name\n" + b"Someone\n" * 200)
    assert response.status_code == 413
    assert not ImportRun.objects.exists()


def test_runs_are_private_to_their_owner_and_admins(client, member, admin, defaults, clients_csv):
    run = mapped(member, clients_csv)
    colleague = UserFactory(departments=list(member.departments.all()))
    client.force_login(colleague)
    for name in ("run", "mapping", "preview"):
        assert client.get(reverse(f"imports:{name}", args=[run.pk])).status_code == 404
    assert client.post(reverse("imports:start", args=[run.pk])).status_code == 404
    assert client.get(reverse("imports:run", args=[9999])).status_code == 404
    assert str(run.file_name) not in client.get(LIST).content.decode()
    client.force_login(admin)
    assert client.get(reverse("imports:preview", args=[run.pk])).status_code == 200


def test_staff_without_a_department_cannot_import(client, defaults):
    client.force_login(UserFactory(departments=[]))
    assert client.get(LIST).status_code == 403


def test_the_runs_list_runs_a_fixed_number_of_queries(
    client, member, defaults, clients_csv, django_assert_max_num_queries
):
    for _ in range(3):
        mapped(member, clients_csv)
    client.force_login(member)
    with django_assert_max_num_queries(12) as few:
        client.get(LIST)
    for _ in range(12):
        mapped(member, clients_csv)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST)
    assert response.content.decode().count("file.csv") == 15


def test_import_export_import_again_gives_the_same_data(client, admin, defaults):
    rows = [
        ["Name", "Domain", "Phone", "Industry", "Country", "Lifecycle", "Tags", "Address"],
        [
            "Globex",
            "globex.example",
            "+49 30 1234567",
            "Energy",
            "DE",
            "customer",
            "gold, eu",
            "Main St 1",
        ],
        ["Initech", "initech.example", "", "Software", "", "lead", "", ""],
        ["Umbrella", "", "", "", "FR", "Churned", "", ""],
    ]
    first = mapped(admin, rows, mode="create")
    services.start(actor=admin, run=first)
    run_import.call(first.pk)
    fields = ("name", "domain", "phone", "industry", "country", "lifecycle", "tags", "address")
    imported = sorted(Client.objects.values_list(*fields))

    client.force_login(admin)
    exported = b"".join(client.get("/integrations/exports/clients/csv/").streaming_content)
    assert exported.count(b"\n") == 4  # the header and three clients
    Client.objects.all().delete()

    again = mapped(
        admin, list(csv.reader(io.StringIO(exported.decode("utf-8-sig")))), mode="create"
    )
    assert {
        "Name",
        "Domain",
        "Phone",
        "Industry",
        "Country",
        "Lifecycle",
        "Tags",
        "Address",
    } <= set(again.mapping)
    services.start(actor=admin, run=again)
    run_import.call(again.pk)
    again.refresh_from_db()
    assert (again.created, again.failed) == (3, 0), again.report
    assert sorted(Client.objects.values_list(*fields)) == imported


def test_the_clients_and_contacts_lists_link_to_the_import(client, member, defaults):
    client.force_login(member)
    for name in ("client_list", "contact_list"):
        page = client.get(reverse(f"records:{name}")).content.decode()
        assert f'href="{LIST}"' in page
