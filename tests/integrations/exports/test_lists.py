"""List exports: the list's rows (filters, search, sort), every format, bad parameters."""

import csv
import io
from decimal import Decimal

import pytest
import vobject
from django.http import QueryDict
from django.urls import reverse

from records import services
from records.models import CustomField
from records.selectors import lists
from tests.integrations.exports.conftest import read_csv, read_xlsx, xlsx_cells

pytestmark = pytest.mark.django_db


def export(client, user, list_name, fmt, query=""):
    client.force_login(user)
    response = client.get(reverse("exports:list", args=[list_name, fmt]) + f"?{query}")
    assert response.status_code == 200, response.content
    return response


def page_ids(list_name, query, viewer) -> list[int]:
    """The ids the list page shows for ``query``, in its order (all pages)."""
    spec = lists.LISTS[list_name]
    state = lists.read(spec, QueryDict(query), viewer)
    return list(lists.rows(state, viewer).values_list("pk", flat=True))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_clients_export_is_the_filtered_sorted_list(client, member, book, fmt):
    query = "lifecycle=lead&sort=-name"
    response = export(client, member, "clients", fmt, query)
    header, *rows = read_csv(response) if fmt == "csv" else read_xlsx(response)
    assert header[:4] == ["ID", "Name", "Domain", "Industry"]
    ids = [int(row[0]) for row in rows]
    assert ids == page_ids("clients", query, member)
    names = [row[1] for row in rows]
    assert names == ["Initech", "Acme GmbH", '\'=HYPERLINK("http://evil.example")']
    assert response["Content-Disposition"].startswith("attachment;")


def test_clients_values_read_as_people_read_them(client, member, book):
    CustomField.objects.create(key="tier", label="Tier", type="text")
    services.create_client(actor=member, name="Umbrella", custom_values={"tier": "Gold"})
    header, *rows = read_csv(export(client, member, "clients", "csv", "q=umbrella"))
    row = dict(zip(header, rows[0], strict=True))
    assert row["Lifecycle"] == "Lead"
    assert row["Owner"] == member.full_name
    assert row["Department"] == "Sales"
    assert row["Tier"] == "Gold"
    assert row["Created at"][:4].isdigit() and "T" in row["Created at"]


def test_archived_clients_only_when_the_list_shows_them(client, member, book):
    services.archive_client(actor=member, client=book["initech"])
    _, *rows = read_csv(export(client, member, "clients", "csv"))
    assert "Initech" not in [row[1] for row in rows]
    _, *rows = read_csv(export(client, member, "clients", "csv", "archived=archived"))
    assert [row[1] for row in rows] == ["Initech"]


def test_contacts_export_with_search_and_sort(client, member, book):
    for name, target in (("Zoe", "acme"), ("Adam", "globex"), ("Mia", "acme")):
        services.create_contact(
            actor=member, client=book[target], name=name, emails=[f"{name.lower()}@x.example"]
        )
    query = f"client={book['acme'].pk}&sort=-name"
    header, *rows = read_csv(export(client, member, "contacts", "csv", query))
    row = dict(zip(header, rows[0], strict=True))
    assert [r[1] for r in rows] == ["Zoe", "Mia"]
    assert [int(r[0]) for r in rows] == page_ids("contacts", query, member)
    assert row["Client"] == "Acme GmbH"
    assert row["Client domain"] == "acme.example"
    assert row["Emails"] == "zoe@x.example"
    assert row["Preferred channel"] == "Email"


def test_deals_export_with_amounts_and_currency(client, member, book):
    for title, amount in (("Small", 10), ("Big", 5000), ("Medium", 700)):
        services.create_deal(actor=member, client=book["acme"], title=title, amount=Decimal(amount))
    query = "amount_min=500&sort=-amount"
    header, *rows = read_csv(export(client, member, "deals", "csv", query))
    assert [r[1] for r in rows] == ["Big", "Medium"]
    assert [int(r[0]) for r in rows] == page_ids("deals", query, member)
    row = dict(zip(header, rows[0], strict=True))
    assert row["Amount"] == "5000.00"
    assert row["Currency"] == "EUR" or len(row["Currency"]) == 3
    assert row["Stage"] and row["Pipeline"] and row["Status"] == "Open"
    _, *xlsx_rows = read_xlsx(export(client, member, "deals", "xlsx", query))
    assert xlsx_rows[0][header.index("Amount")] == 5000  # a number in the spreadsheet


def test_tickets_export_with_filter(client, support_member, member, book):
    for subject, priority in (("Down", "urgent"), ("Typo", "low"), ("Slow", "urgent")):
        services.create_ticket(
            actor=support_member, client=book["acme"], subject=subject, priority=priority
        )
    query = "priority=urgent&sort=subject"
    header, *rows = read_csv(export(client, member, "tickets", "csv", query))
    assert [r[1] for r in rows] == ["Down", "Slow"]
    assert [int(r[0]) for r in rows] == page_ids("tickets", query, member)
    assert dict(zip(header, rows[0], strict=True))["Priority"] == "Urgent"


def test_headers_are_stable(client, member, book):
    """The import reads these names back: a change here is a change of the file format."""
    expected = {
        "clients": "ID,Name,Domain,Industry,Size,Address,Country,Phone,Tags,Lifecycle,Owner,"
        "Owner email,Department,Source,Open deals,Open tickets,Archived,Created at,Updated at",
        "contacts": "ID,Name,Title,Client,Client domain,Emails,Phones,Preferred channel,Notes,"
        "Created at,Updated at",
        "deals": "ID,Title,Client,Amount,Currency,Pipeline,Stage,Owner,Expected close,Status,"
        "Loss reason,Loss note,Closed at,Created at,Updated at",
        "tickets": "ID,Subject,Client,Contact,Status,Priority,Assignee,Channel,SLA due,"
        "First response at,Resolved at,Satisfaction,Created at,Updated at",
    }
    for name, header in expected.items():
        assert ",".join(read_csv(export(client, member, name, "csv"))[0]) == header


def test_formula_cells_are_escaped_in_csv_and_xlsx(client, member, book):
    services.create_contact(
        actor=member, client=book["acme"], name="@SUM(A1)", title="-2+3", notes="+cmd|' /C calc'!A0"
    )
    header, *rows = read_csv(export(client, member, "contacts", "csv", "q=SUM"))
    row = dict(zip(header, rows[0], strict=True))
    assert row["Name"] == "'@SUM(A1)"
    assert row["Title"] == "'-2+3"
    assert row["Notes"].startswith("'+")
    cells = xlsx_cells(export(client, member, "contacts", "xlsx", "q=SUM"))
    texts = [cell.value for cell in cells if isinstance(cell.value, str)]
    assert "'@SUM(A1)" in texts and "'-2+3" in texts
    assert not [cell for cell in cells if cell.data_type == "f"]
    _, *clients = read_xlsx(export(client, member, "clients", "xlsx", "q=hyperlink"))
    assert clients[0][1] == '\'=HYPERLINK("http://evil.example")'


def test_contacts_as_vcards_parse_back(client, member, book):
    services.create_contact(
        actor=member,
        client=book["acme"],
        name="Jo Acme",
        title="CTO",
        emails=["jo@acme.example", "jo@home.example"],
        phones=["+49 30 1234567"],
    )
    services.create_contact(actor=member, client=book["globex"], name="Ann Globex")
    response = export(client, member, "contacts", "vcf", "sort=-name")
    assert response["Content-Type"].startswith("text/vcard")
    cards = list(vobject.readComponents(b"".join(response.streaming_content).decode()))
    assert [card.fn.value for card in cards] == ["Jo Acme", "Ann Globex"]
    jo = cards[0]
    assert jo.n.value.given == "Jo" and jo.n.value.family == "Acme"
    assert jo.org.value == ["Acme GmbH"]
    assert jo.title.value == "CTO"
    assert [each.value for each in jo.email_list] == ["jo@acme.example", "jo@home.example"]
    assert jo.tel.value == "+49301234567"  # stored and exported in E.164 (issue 19)


def test_one_contact_as_a_vcard(client, member, contact, support_member):
    client.force_login(member)
    response = client.get(reverse("exports:contact_vcard", args=[contact.pk]))
    assert vobject.readOne(response.content.decode()).fn.value == "Jo Acme"
    assert client.get(reverse("exports:contact_vcard", args=[contact.pk + 999])).status_code == 404


@pytest.mark.parametrize(
    ("list_name", "fmt", "reason"),
    [
        ("clients", "pdf", "“pdf” is not an export format for clients; use one of: csv, xlsx."),
        ("deals", "vcf", "“vcf” is not an export format for deals; use one of: csv, xlsx."),
        ("contacts", "json", "use one of: csv, xlsx, vcf."),
    ],
)
def test_unknown_format_is_a_400_with_a_reason(client, member, list_name, fmt, reason):
    client.force_login(member)
    response = client.get(reverse("exports:list", args=[list_name, fmt]))
    assert response.status_code == 400
    assert reason in response.content.decode()


def test_unknown_list_is_a_404(client, member):
    client.force_login(member)
    assert client.get(reverse("exports:list", args=["secrets", "csv"])).status_code == 404


def test_bad_filter_values_are_dropped_as_on_the_page(client, member, book):
    """The page ignores a bad value with a note; the export gives the same rows."""
    query = "lifecycle=nonsense&sort=nope"
    _, *rows = read_csv(export(client, member, "clients", "csv", query))
    assert [int(row[0]) for row in rows] == page_ids("clients", query, member)
    assert len(rows) == 4


def test_signed_out_people_are_sent_to_log_in(client):
    response = client.get(reverse("exports:list", args=["clients", "csv"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_deactivated_people_cannot_export(client, member, book):
    member.is_active = False
    member.save()
    client.force_login(member)
    assert client.get(reverse("exports:list", args=["clients", "csv"])).status_code in (302, 403)


def test_the_list_page_offers_the_export_with_its_query(client, member, admin, book):
    client.force_login(member)
    page = client.get(reverse("records:contact_list") + "?sort=-name&email=yes").content.decode()
    base = reverse("exports:list", args=["contacts", "csv"])
    assert f'href="{base}?email=yes&amp;sort=-name"' in page
    assert reverse("exports:list", args=["contacts", "vcf"]) in page
    assert reverse("exports:full") not in page  # admins only
    client.force_login(admin)
    assert reverse("exports:full") in client.get(reverse("records:client_list")).content.decode()


def test_the_client_page_links_each_contact_vcard(client, member, contact):
    client.force_login(member)
    page = client.get(reverse("records:client_detail", args=[contact.client_id])).content.decode()
    assert reverse("exports:contact_vcard", args=[contact.pk]) in page


@pytest.mark.django_db(transaction=True)
async def test_under_asgi_the_csv_streams_in_batches(async_client, member, book, settings):
    """An ASGI server gets an async iterator (batches of lines), not a list read whole."""
    from asgiref.sync import sync_to_async
    from django.db import connections

    from integrations.exports import writers

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    await async_client.aforce_login(member)
    response = await async_client.get(reverse("exports:list", args=["clients", "csv"]))
    assert response.is_async
    parts = [part async for part in response.streaming_content]
    text = b"".join(parts).decode()
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    ids = await sync_to_async(page_ids)("clients", "", member)
    assert [int(row[0]) for row in rows[1:]] == ids
    assert len(parts) == 1 + len(rows) // writers.STREAM_BATCH
    await sync_to_async(connections.close_all)()  # the sync thread's, so the test DB can go
