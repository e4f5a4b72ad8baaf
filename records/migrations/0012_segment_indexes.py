"""An index on each contact's primary email (``emails ->> 0``), on PostgreSQL.

Marketing's segments match a contact's consent and unsubscribes by its first
address (marketing/segments.py). With this index the contacts that consented
are found from the consent rows (a few index probes, not a scan of every
contact), and ANALYZE keeps statistics of the expression, so the planner no
longer guesses that a third of all contacts consented: on the 100,000-client
bench a two-group segment with consent counts in 270 ms instead of 900
(bench/segments.py). Like 0008 it is added by the schema editor outside the
models' state, and only on PostgreSQL; SQLite has no use for it at its sizes.
"""

from django.db import migrations

INDEX = "contact_primary_email"


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX {INDEX} ON records_contact ((emails ->> 0))")


def remove_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("records", "0011_timeline_marketing_kinds")]

    operations = [migrations.RunPython(add_index, remove_index)]
