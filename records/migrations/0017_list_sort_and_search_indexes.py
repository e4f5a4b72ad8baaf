"""Indexes for the list pages at 100,000 clients (docs/PERFORMANCE.md, "Lists at 100k").

Sorts: clients by owner (each owner's live clients in id order), contacts by name and id
(the list's order, replacing the index on the name alone) and by preferred channel, the
handoff inbox's Answered tab by answer time. Filters: clients with or without recent
activity (a segment's "last activity"), from the activity entries alone.

Searches (PostgreSQL only): a list's search box matches ``icontains``, which Django
writes as ``UPPER(column::text) LIKE UPPER('%…%')``. A GIN trigram index on that very
expression serves it, so each searched column gets one (records/selectors/lists/state.py,
``_contains``): the contact list's name, title, emails and phones; the deal and ticket
lists' title and subject; and the client's name, which those three lists search through
their client. Like 0008 and 0012 they are added by the schema editor outside the models'
state (the expressions are PostgreSQL's; SQLite has no trigrams and no use for them at
its sizes). 0008's ``TrigramExtension`` made pg_trgm available.
"""

from django.db import migrations, models

CONTAINS = {
    "client_name_contains": ("records_client", "name"),
    "contact_name_contains": ("records_contact", "name"),
    "contact_title_contains": ("records_contact", "title"),
    "contact_emails_contains": ("records_contact", "emails"),
    "contact_phones_contains": ("records_contact", "phones"),
    "deal_title_contains": ("records_deal", "title"),
    "ticket_subject_contains": ("records_ticket", "subject"),
}


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, column) in CONTAINS.items():
        schema_editor.execute(
            f"CREATE INDEX {name} ON {table} USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def remove_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in CONTAINS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("records", "0016_client_open_counts")]

    operations = [
        migrations.AddIndex(
            model_name="client",
            index=models.Index(
                condition=models.Q(("archived", False), ("merged_into__isnull", True)),
                fields=["owner", "id"],
                name="client_live_owner",
            ),
        ),
        migrations.RemoveIndex(model_name="contact", name="contact_name"),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["name", "id"], name="contact_name_id"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["preferred_channel", "id"], name="contact_channel"),
        ),
        migrations.AddIndex(
            model_name="handoff",
            index=models.Index(
                fields=["-answered_at", "-created_at", "-id"], name="handoff_answered"
            ),
        ),
        migrations.AddIndex(
            model_name="timelineentry",
            index=models.Index(
                condition=models.Q(("kind__in", ["call", "meeting", "email", "note"])),
                fields=["client", "created_at"],
                name="timeline_client_activity",
            ),
        ),
        migrations.RunPython(add_indexes, remove_indexes),
    ]
