"""seed_demo's client book and ``--scale``: counts, idempotence, rows that pass validation.

Seeding takes seconds, so the module seeds once (the book, the book again, then
``--scale 50``) in a transaction rolled back after its last test; each test
runs in its own savepoint inside it, as usual.
"""

import importlib
import random
from dataclasses import dataclass
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F

from records import demo
from records.models import (
    ChecklistItem,
    Client,
    Comment,
    Contact,
    Deal,
    FieldChange,
    Handoff,
    Priority,
    Task,
    Ticket,
    TimelineEntry,
)

SAMPLE = 40
SCALE = 50


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, allow_production=True, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = (Client, Contact, Deal, Ticket, Comment, TimelineEntry, FieldChange, Task, Handoff)
    return {model.__name__: model.objects.count() for model in models}


@dataclass
class Seeded:
    book_output: str
    book: dict[str, int]  # counts after the book
    again_output: str
    again: dict[str, int]  # counts after seeding a second time
    scale_output: str
    scaled: dict[str, int]  # counts after --scale 50


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        # The default pipeline, loss reasons and SLA hours, in case a flush removed them.
        importlib.import_module("records.migrations.0002_seed_defaults").seed(apps, None)
        book_output = seed()
        book = counts()
        again_output = seed()
        again = counts()
        scale_output = seed("--scale", str(SCALE))
        yield Seeded(book_output, book, again_output, again, scale_output, counts())
        transaction.set_rollback(True)


def sample(model, size: int = SAMPLE) -> list:
    pks = list(model.objects.values_list("pk", flat=True))
    chosen = random.Random(4).sample(pks, min(size, len(pks)))  # noqa: S311
    return list(model.objects.filter(pk__in=chosen))


def test_the_book_has_the_promised_records(seeded, db):
    assert "Client book: 320 clients" in seeded.book_output
    made = seeded.book
    assert made["Client"] >= 300
    assert 900 <= made["Contact"] <= 1200
    assert 350 <= made["Deal"] <= 450
    assert 450 <= made["Ticket"] <= 550
    assert made["Comment"] >= 500
    assert made["TimelineEntry"] > made["Client"] + made["Contact"] + made["Deal"]
    assert made["FieldChange"] > made["Deal"]
    assert set(Client.objects.values_list("lifecycle", flat=True)) == set(Client.Lifecycle)
    assert set(Client.objects.values_list("source", flat=True)) == set(Client.Source)
    assert set(Deal.objects.values_list("status", flat=True)) == set(Deal.Status)
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Ticket.Status)
    assert set(Ticket.objects.values_list("priority", flat=True)) == set(Priority)
    assert set(Ticket.objects.values_list("channel", flat=True)) == set(Ticket.Channel)
    kinds = set(TimelineEntry.objects.values_list("kind", flat=True))
    assert {*TimelineEntry.ACTIVITIES, "created", "field", "comment", "deal", "ticket"} <= kinds


def test_the_book_looks_like_a_year_of_work(seeded, db):
    assert not Deal.objects.filter(status="lost", loss_reason=None).exists()
    closed_months = {d.closed_at.strftime("%Y-%m") for d in Deal.objects.exclude(status="open")}
    assert len(closed_months) >= 11
    assert Ticket.objects.filter(resolved_at__gt=F("sla_due")).exists()  # breached SLAs
    assert Ticket.objects.filter(resolved_at__lte=F("sla_due")).exists()
    rated = Ticket.objects.exclude(satisfaction=None)
    assert rated.exists()
    assert not rated.exclude(status__in=Ticket.RESOLVED).exists()
    owners = Client.objects.values_list("owner__departments__slug", flat=True)
    assert {"sales", "support"} <= set(owners)


def test_the_book_has_tasks_and_handoffs_in_every_state(seeded, db):
    assert "72 tasks, 96 checklist items, 12 handoffs" in seeded.book_output
    tasks = Task.objects.all()
    assert set(tasks.values_list("status", flat=True)) == set(Task.Status) - {"cancelled"}
    assert tasks.filter(recurrence="weekly").exists()
    assert any(task.is_overdue for task in tasks)
    assert tasks.exclude(assigned_by=None).exclude(assignee=F("assigned_by")).exists()
    assert ChecklistItem.objects.filter(done=True).exists()
    assert set(Handoff.objects.values_list("status", flat=True)) == set(Handoff.Status)
    assert not Handoff.objects.filter(status="accepted", task=None).exists()
    for handoff in Handoff.objects.all():
        assert TimelineEntry.objects.filter(handoff=handoff, kind="handoff").exists()


def test_mentions_name_real_demo_people(seeded, db):
    mentioned = Comment.objects.annotate(people=Count("mentions")).filter(people__gt=0)
    assert mentioned.count() >= 50
    for comment in mentioned[:10]:
        for person in comment.mentions.all():
            assert f"@{person.full_name}" in comment.body


def test_timeline_entries_link_their_audit_rows(seeded, db):
    moves = TimelineEntry.objects.filter(kind="deal").exclude(data={})[:20]
    assert moves
    for entry in moves:
        change = FieldChange.objects.get(pk=entry.data["change"])
        assert (change.object_id, change.field) == (entry.deal_id, "stage")


def test_seeding_twice_adds_nothing(seeded, db):
    assert "Client book already there." in seeded.again_output
    assert seeded.again == seeded.book


def test_a_sample_of_generated_rows_passes_validation(seeded, db):
    for model in (Client, Contact, Deal, Ticket, Comment, TimelineEntry, FieldChange, Task):
        rows = sample(model)
        assert rows
        for row in rows:
            row.full_clean()


def test_scale_adds_clients_with_contacts_timeline_deals_and_tickets(seeded, db):
    before, after = seeded.again, seeded.scaled
    assert f"Scale: {SCALE} clients, 150 contacts, 50 deals, 5 tickets" in seeded.scale_output
    assert after["Client"] - before["Client"] == SCALE
    assert after["Contact"] - before["Contact"] == 3 * SCALE
    # three per client, and one per new deal and ticket
    assert after["TimelineEntry"] - before["TimelineEntry"] == 3 * SCALE + 50 + 5
    new = Client.objects.annotate(
        contact_count=Count("contacts", distinct=True), entry_count=Count("timeline", distinct=True)
    ).order_by("-pk")[:SCALE]
    assert {client.contact_count for client in new} == {3}
    assert min(client.entry_count for client in new) >= 3
    assert Deal.objects.filter(client__in=new, status="open").count() == 50


def test_long_timeline_tops_up_one_client(seeded, db):
    client = Client.objects.order_by("pk").first()
    before = client.timeline.count()

    demo.long_timeline(client, 30)

    assert client.timeline.count() == before + 30
