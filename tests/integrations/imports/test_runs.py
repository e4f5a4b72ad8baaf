"""Mapping, preview, duplicates, the dry run, the job, its live progress and undo."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from integrations.imports import engine, mapping, services
from integrations.imports.models import ImportChange, ImportMapping, ImportRun
from integrations.imports.tasks import run_import
from marketing.models import Attribution
from records import services as records
from records.models import Client, Contact, TimelineEntry
from tests.factories import UserFactory
from tests.integrations.imports.conftest import csv_bytes, mapped, upload
from tests.live_helpers import capture_events

pytestmark = pytest.mark.django_db


def run_now(actor, run: ImportRun) -> ImportRun:
    """Start the run and do the job in this process (the task function itself)."""
    services.start(actor=actor, run=run)
    run_import.call(run.pk)
    run.refresh_from_db()
    return run


# --- Mapping -----------------------------------------------------------------------------


def test_the_mapping_is_guessed_from_the_headers():
    headers = ["Company", "Web site", "Tel.", "E-mail", "Notes"]
    assert mapping.guess("clients", headers) == {
        "Company": "name",
        "Web site": "domain",
        "Tel.": "phone",
    }
    assert mapping.guess("contacts", ["Full name", "E-mail", "Company", "Website", "Mobile"]) == {
        "Full name": "name",
        "E-mail": "email",
        "Company": "company",
        "Website": "company_domain",
        "Mobile": "phone",
    }


def test_a_chosen_mapping_is_saved_for_the_next_file_with_those_headers(member, defaults):
    rows = [["Firm", "URL", "Misc"], ["Globex", "globex.example", "x"]]
    run = upload(member, csv_bytes(rows))
    assert run.mapping == {"URL": "domain"}  # "Firm" is not a name we know
    services.set_mapping(
        actor=member, run=run, columns={"Firm": "name", "URL": "domain", "Misc": ""}
    )
    assert ImportMapping.objects.filter(user=member).count() == 1
    again = upload(member, csv_bytes([["URL", "Misc", "Firm"], ["a.example", "", "A"]]))
    assert again.mapping == {"Firm": "name", "URL": "domain"}
    someone_else = upload(UserFactory(departments=list(member.departments.all())), csv_bytes(rows))
    assert someone_else.mapping == {"URL": "domain"}


def test_a_mapping_without_the_name_or_with_a_field_twice_is_refused(member, defaults):
    run = upload(member, csv_bytes([["A", "B"], ["x", "y"]]))
    with pytest.raises(ValidationError) as error:
        services.set_mapping(actor=member, run=run, columns={"A": "domain", "B": "domain"})
    assert error.value.messages == [
        "Website / domain is chosen for more than one column.",
        "Choose the column that holds the name.",
    ]
    run.refresh_from_db()
    assert run.status == ImportRun.Status.UPLOADED


# --- Preview and dry run -----------------------------------------------------------------


def test_the_plan_names_each_bad_row_and_column(member, defaults):
    run = mapped(
        member,
        [
            ["Company", "Website", "Country", "Lifecycle"],
            ["Good", "good.example", "DE", "Customer"],
            ["", "nameless.example", "", ""],
            ["Bad domain", "not a domain", "Atlantis", "someday"],
        ],
    )
    steps = list(engine.plan(run))
    assert [step.action for step in steps] == ["create", "fail", "fail"]
    assert steps[1].reason == "Company: The name is missing."
    assert "Country: “Atlantis” is not a country we know." in steps[2].reason
    assert "Lifecycle: Use one of: Lead, Prospect, Customer, Churned." in steps[2].reason
    assert "Website: Enter a domain like example.com" in steps[2].reason
    assert steps[0].row.values == {
        "name": "Good",
        "domain": "good.example",
        "country": "DE",
        "lifecycle": "customer",
    }


def test_the_dry_run_counts_and_writes_nothing(member, acme, clients_csv):
    rows = [
        *clients_csv,
        ["Acme again", "acme.example", "", "", ""],
        ["", "", "", "", ""],
        ["No", "x", "", "", ""],
    ]
    run = mapped(member, rows)
    before = (Client.objects.count(), TimelineEntry.objects.count(), ImportChange.objects.count())
    outcome = engine.dry_run(run)
    assert (outcome.created, outcome.updated, outcome.skipped, outcome.failed) == (2, 0, 1, 1)
    assert outcome.report[0] == {
        "row": 4,
        "outcome": "skipped",
        "reason": "Duplicate: same domain acme.example.",
    }
    assert (
        Client.objects.count(),
        TimelineEntry.objects.count(),
        ImportChange.objects.count(),
    ) == before


# --- Duplicates ----------------------------------------------------------------------------


def test_clients_matched_by_domain_or_phone_are_skipped(member, acme):
    records.update_field(
        actor=member, obj=acme, field="phone", value="+49 30 999999", seen_value=""
    )
    run = run_now(
        member,
        mapped(
            member,
            [
                ["Company", "Website", "Phone"],
                ["ACME", "https://WWW.acme.example/", ""],
                ["Acme Berlin", "", "+49 (30) 999-999"],
                ["New", "new.example", ""],
                ["New twice", "new.example", ""],
            ],
        ),
    )
    assert (run.created, run.updated, run.skipped, run.failed) == (1, 0, 3, 0)
    assert [line["reason"] for line in run.report] == [
        "Duplicate: same domain acme.example.",
        "Duplicate: same phone +49 30 999999.",  # read back in E.164 (issue 19)
        "Duplicate: same domain new.example as row 4.",
    ]
    assert Client.objects.filter(name="New", source="import").count() == 1


def test_update_mode_changes_only_differing_fields_through_the_services(member, acme):
    run = run_now(
        member,
        mapped(
            member,
            [["Company", "Website", "Industry"], ["Acme GmbH", "acme.example", "Steel"]],
            mode="update",
        ),
    )
    assert (run.created, run.updated) == (0, 1)
    acme.refresh_from_db()
    assert acme.industry == "Steel"
    change = ImportChange.objects.get(run=run)
    assert (change.action, change.field, change.old_value, change.new_value) == (
        "updated",
        "industry",
        "",
        "Steel",
    )
    assert acme.timeline.filter(kind=TimelineEntry.Kind.FIELD).exists()  # the service's entry


def test_create_mode_creates_duplicates_anyway(member, acme):
    run = run_now(
        member, mapped(member, [["Company", "Website"], ["Acme 2", "acme.example"]], mode="create")
    )
    assert run.created == 1
    assert Client.objects.filter(domain="acme.example").count() == 2


def test_contacts_matched_by_email_or_phone(member, acme):
    jo = records.create_contact(
        actor=member, client=acme, name="Jo", emails=["jo@acme.example"], phones=["+1 555 0100"]
    )
    rows = [
        ["Name", "E-mail", "Phone", "Company", "Title"],
        ["Jo Acme", "JO@acme.example", "", "Acme GmbH", "Buyer"],
        ["Joanna", "", "+1 555-0100", "Acme GmbH", "CTO"],
        ["Kim", "kim@globex.example", "", "Globex", ""],
    ]
    run = run_now(member, mapped(member, rows, kind="contacts", mode="update"))
    assert (run.created, run.updated, run.skipped, run.failed) == (1, 2, 0, 0)
    jo.refresh_from_db()
    assert (jo.name, jo.title) == ("Joanna", "CTO")  # row 3 matched on phone, after row 2
    kim = Contact.objects.get(name="Kim")
    assert kim.client.name == "Globex" and kim.client.source == "import"
    assert Attribution.objects.get(contact=kim).first.channel == "import"


# --- The job, its progress, undo -------------------------------------------------------


def test_the_job_publishes_progress_on_the_runs_topic(member, defaults, clients_csv):
    run = mapped(member, clients_csv)
    with capture_events() as started:
        services.start(actor=member, run=run)
    assert [event.kind for event in started] == ["import.started"]
    with capture_events() as events:
        run_import.call(run.pk)
    ours = [event for event in events if event.topic == f"import.{run.pk}"]
    assert [event.kind for event in ours] == ["import.progress", "import.finished"]
    assert f'id="import-{run.pk}-progress"' in ours[-1].html
    assert ours[-1].payload["status"] == "done"
    run.refresh_from_db()
    assert (run.status, run.progress, run.created) == ("done", 2, 2)


def test_open_lists_are_told_once_of_the_imported_records_and_of_the_undo(
    member, defaults, clients_csv
):
    run = mapped(member, clients_csv)
    services.start(actor=member, run=run)
    with capture_events() as events:
        run_import.call(run.pk)
    [told] = [event for event in events if event.topic == "list.clients"]
    assert told.kind == "import.listed"
    assert 'id="list-clients-notice"' in told.html and "imported 2 clients" in told.html
    run.refresh_from_db()
    with capture_events() as events:
        services.undo_run(actor=member, run=run)
    [told] = [event for event in events if event.kind == "import.listed"]
    assert "undid an import of clients" in told.html


def test_a_run_starts_once(member, defaults, clients_csv):
    run = run_now(member, mapped(member, clients_csv))
    with pytest.raises(ValidationError, match="already run"):
        services.start(actor=member, run=run)
    assert run_import.call(run.pk) == 0


def test_undo_removes_exactly_the_created_records_and_restores_the_updated_fields(member, acme):
    other = records.create_client(
        actor=member, name="Other", domain="other.example", industry="Old"
    )
    rows = [
        ["Company", "Website", "Industry"],
        ["Acme GmbH", "acme.example", "Steel"],
        ["Other", "other.example", "New"],
        ["Fresh", "fresh.example", "Tea"],
        ["Kept", "kept.example", "Tea"],
    ]
    run = run_now(member, mapped(member, rows, mode="update"))
    assert (run.created, run.updated) == (2, 2)
    # Since the import, someone changes Other's industry and edits the client "Kept".
    other.refresh_from_db()
    records.update_field(actor=member, obj=other, field="industry", value="Later", seen_value="New")
    kept = Client.objects.get(name="Kept")
    records.update_field(
        actor=member, obj=kept, field="phone", value="+49 30 123456", seen_value=""
    )

    left = services.undo_run(actor=member, run=run)

    acme.refresh_from_db()
    other.refresh_from_db()
    assert acme.industry == ""  # put back
    assert other.industry == "Later"  # a later change is never lost…
    assert not Client.objects.filter(name="Fresh").exists()  # created: removed
    assert Client.objects.filter(name="Kept").exists()  # edited since: kept
    assert sorted(line["reason"] for line in left) == [  # …and both are reported
        "Client Kept was edited or given contacts, deals or tickets since; it is kept.",
        f"Industry was changed by {member} since the import; their value is kept.",
    ]
    run.refresh_from_db()
    assert run.status == "undone" and len(run.undo_report) == 2
    with pytest.raises(ValidationError, match="once"):
        services.undo_run(actor=member, run=run)


def test_undo_of_contacts_removes_created_contacts_and_their_new_client(member, acme):
    rows = [
        ["Name", "E-mail", "Company"],
        ["Kim", "kim@globex.example", "Globex"],
        ["Lu", "lu@acme.example", "Acme GmbH"],
    ]
    run = run_now(member, mapped(member, rows, kind="contacts"))
    assert run.created == 2
    before = set(Client.objects.values_list("pk", flat=True))
    services.undo_run(actor=member, run=run)
    assert not Contact.objects.filter(name__in=["Kim", "Lu"]).exists()
    assert set(Client.objects.values_list("pk", flat=True)) == before - {
        ImportChange.objects.get(run=run, model="client").object_id
    }
    assert Client.objects.filter(pk=acme.pk).exists()


# --- Who may --------------------------------------------------------------------------------


def test_a_member_updates_only_records_they_may_edit(member, support_member, acme):
    run = run_now(
        support_member,
        mapped(
            support_member,
            [["Company", "Website", "Industry"], ["Acme", "acme.example", "Steel"]],
            mode="update",
        ),
    )
    assert (run.updated, run.failed) == (0, 1)
    assert "cannot change" in run.report[0]["reason"]
    acme.refresh_from_db()
    assert acme.industry == ""


def test_someone_without_a_department_cannot_import_nor_touch_others_runs(
    member, defaults, clients_csv
):
    with pytest.raises(PermissionDenied):
        upload(UserFactory(departments=[]), csv_bytes(clients_csv))
    run = mapped(member, clients_csv)
    stranger = UserFactory(departments=list(member.departments.all()))
    with pytest.raises(PermissionDenied):
        services.start(actor=stranger, run=run)


# --- Rows written in bulk have the services' shapes ----------------------------------------


def test_created_clients_are_what_create_client_makes(member, sales, defaults, clients_csv):
    run = run_now(member, mapped(member, clients_csv))
    globex = Client.objects.get(name="Globex Corporation")
    globex.full_clean()
    assert (globex.owner, globex.department, globex.created_by) == (member, sales, member)
    assert (globex.source, globex.domain, globex.country) == ("import", "globex.example", "DE")
    entry = globex.timeline.get()
    assert (entry.kind, entry.actor, entry.summary) == (
        "created",
        member,
        f"{member} added Globex Corporation",
    )
    assert ImportChange.objects.filter(run=run, action="created", model="client").count() == 2


def test_a_vcard_file_imports_contacts(member, acme):
    from tests.integrations.imports.test_reading import VCARDS

    run = upload(member, VCARDS, name="people.vcf", kind="contacts")
    assert run.mapping == {
        "Name": "name",
        "E-mail": "email",
        "Phone": "phone",
        "Company": "company",
        "Title": "title",
        "Website": "company_domain",
        "Note": "notes",
    }
    services.set_mapping(actor=member, run=run, columns=run.mapping)
    run = run_now(member, run)
    assert (run.created, run.failed) == (1, 1)
    assert run.report == [
        {"row": 2, "outcome": "failed", "reason": "Company: The company is missing."}
    ]
    jo = Contact.objects.get(name="Jo Acme")
    assert jo.client == acme  # matched by the website's domain
    assert (jo.emails, jo.title) == (["jo@acme.example", "jo@home.example"], "Buyer")
    jo.full_clean()
    entry = acme.timeline.get(kind=TimelineEntry.Kind.CONTACT)
    assert entry.summary == f"{member} added contact Jo Acme" and entry.data == {"contact": jo.pk}
