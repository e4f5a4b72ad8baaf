"""Typo-tolerant search on PostgreSQL: the pg_trgm extension and GIN trigram indexes.

records/selectors/search.py compares each kind's title column with the query
through pg_trgm's ``%>>`` (``strict_word_similarity``) operator, which these indexes
serve: clients' and contacts' names, deals' titles, tickets' subjects (the
``title`` of each ``Searchable`` there). Like migration 0004 they are added
by the schema editor, outside the models' state, and only on PostgreSQL:
SQLite has no trigrams, and its search keeps matching words as typed.
``TrigramExtension`` does nothing on other databases either.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "client": GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="client_name_trgm"),
    "contact": GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="contact_name_trgm"),
    "deal": GinIndex(fields=["title"], opclasses=["gin_trgm_ops"], name="deal_title_trgm"),
    "ticket": GinIndex(fields=["subject"], opclasses=["gin_trgm_ops"], name="ticket_subject_trgm"),
}


def _each_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in INDEXES.items():
        yield apps.get_model("records", model_name), index


def add_indexes(apps, schema_editor):
    for model, index in _each_index(apps, schema_editor):
        schema_editor.add_index(model, index)


def remove_indexes(apps, schema_editor):
    for model, index in _each_index(apps, schema_editor):
        schema_editor.remove_index(model, index)


class Migration(migrations.Migration):
    dependencies = [("records", "0007_alter_timelineentry_kind")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(add_indexes, remove_indexes),
    ]
