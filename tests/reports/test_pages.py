"""The report pages: catalog, filters from the query string, htmx body, CSV, 404s."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from records import services
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(slug="sales-won-lost", **params):
    from urllib.parse import urlencode

    return reverse("reports:report", args=[slug]) + ("?" + urlencode(params) if params else "")


@pytest.fixture
def won_march(at, member, acme, stages):
    at(2026, 3, 2, 9)
    deal = services.create_deal(actor=member, client=acme, title="Big", amount=Decimal(1200))
    at(2026, 3, 20, 9)
    services.move_deal(actor=member, deal=deal, stage=stages["Won"])
    return deal


def test_catalog_lists_every_area(client, member):
    client.force_login(member)
    page = client.get(reverse("reports:home")).content.decode()
    assert "Won and lost" in page
    assert reverse("reports:report", args=["sales-won-lost"]) in page


def test_report_page_shows_filters_chart_and_table(client, admin, won_march, at):
    at(2026, 4, 10, 9)
    client.force_login(admin)
    page = client.get(url(period="custom", start="2026-01-01", end="2026-04-30")).content.decode()
    assert 'id="report-chart-data"' in page
    assert "<caption>Deals won and lost by month</caption>" in page
    assert f'data-live-topics="user.{admin.pk} report.sales"' in page
    assert '<data value="1200' in page


def test_htmx_refresh_answers_the_body_only(client, admin, won_march):
    client.force_login(admin)
    response = client.get(url(), headers={"HX-Request": "true", "HX-Target": "report-body"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="report-body"')
    assert "<html" not in body


def test_csv_is_the_table(client, admin, won_march, at):
    at(2026, 4, 10, 9)
    client.force_login(admin)
    response = client.get(url(period="custom", start="2026-03-01", end="2026-03-31", format="csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["Month", "Won", "Lost", "Won value"],
        [date(2026, 3, 1).isoformat(), "1", "0", "1200.00"],
        ["Total", "1", "0", "1200.00"],
    ]


def test_unknown_report_is_404(client, member):
    client.force_login(member)
    assert client.get(url("no-such-report")).status_code == 404


def test_department_outside_scope_is_404(client, member):
    elsewhere = DepartmentFactory(name="Finance", slug="finance")
    client.force_login(member)
    assert client.get(url(department=elsewhere.pk)).status_code == 404
    assert client.get(url(department=member.departments.get().pk)).status_code == 200


def test_member_may_not_filter_on_a_colleague(client, member, sales):
    colleague = UserFactory(departments=[sales])
    client.force_login(member)
    assert client.get(url(person=colleague.pk)).status_code == 404
    assert client.get(url(person=member.pk)).status_code == 200


def test_bad_dates_are_explained_and_fall_back(client, member):
    client.force_login(member)
    page = client.get(url(period="custom", start="2026-05-01", end="2026-04-01")).content.decode()
    assert "The last day comes before the first" in page
    assert "Showing the default period instead" in page


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(url())
    assert response.status_code == 302


def test_csv_cells_a_spreadsheet_would_run_are_quoted():
    from reports.tables import Column, Report

    report = Report(
        title="t",
        columns=[Column("name", "Client"), Column("count", "Count", "number")],
        rows=[{"name": '=HYPERLINK("http://evil.example")', "count": -3}, {"name": "Acme"}],
    )
    assert report.csv_rows()[1:] == [['\'=HYPERLINK("http://evil.example")', -3], ["Acme", ""]]


@pytest.fixture
def cast(member, sales_manager, admin):
    return {"member": member, "manager": sales_manager, "admin": admin}


@pytest.mark.parametrize("role", ["member", "manager", "admin"])
def test_every_report_answers_every_role_and_hides_other_departments(client, cast, role):
    from reports import catalog

    elsewhere = DepartmentFactory(name="Finance", slug="finance")
    viewer = cast[role]
    client.force_login(viewer)
    for spec in catalog.all_specs():
        page = client.get(url(spec.slug))
        assert page.status_code == 200, spec.slug
        assert f"report.{spec.area}" in page.text
        rows = list(csv.reader(io.StringIO(client.get(url(spec.slug, format="csv")).text)))
        assert rows[0], f"{spec.slug}: a CSV starts with the table's header"
        foreign = client.get(url(spec.slug, department=elsewhere.pk))
        expected = 200 if role == "admin" or "department" not in spec.filters else 404
        assert foreign.status_code == expected, (spec.slug, role)
