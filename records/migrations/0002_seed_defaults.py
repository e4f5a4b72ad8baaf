"""Seed the default sales pipeline, loss reasons and ticket SLA hours (admins edit them)."""

from django.db import migrations

STAGES = [
    ("Qualification", 10, False, False),
    ("Needs analysis", 25, False, False),
    ("Proposal", 50, False, False),
    ("Negotiation", 75, False, False),
    ("Won", 100, True, False),
    ("Lost", 0, False, True),
]
LOSS_REASONS = ["Price", "Chose a competitor", "No budget", "No decision", "Timing", "Other"]
SLA_HOURS = {"urgent": 4, "high": 8, "normal": 24, "low": 72}


def seed(apps, schema_editor):
    Pipeline = apps.get_model("records", "Pipeline")
    Stage = apps.get_model("records", "Stage")
    LossReason = apps.get_model("records", "LossReason")
    TicketSlaPolicy = apps.get_model("records", "TicketSlaPolicy")
    if not Pipeline.objects.exists():
        pipeline = Pipeline.objects.create(name="Sales", is_default=True)
        for order, (name, probability, won, lost) in enumerate(STAGES):
            Stage.objects.create(
                pipeline=pipeline,
                name=name,
                order=order,
                probability=probability,
                is_won=won,
                is_lost=lost,
            )
    for order, name in enumerate(LOSS_REASONS):
        LossReason.objects.get_or_create(name=name, defaults={"order": order})
    for priority, hours in SLA_HOURS.items():
        TicketSlaPolicy.objects.get_or_create(priority=priority, defaults={"hours": hours})


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
