"""Indexes for global search and duplicate hints, on PostgreSQL only.

* GIN expression indexes over ``to_tsvector('simple', …)`` of each model's
  searchable columns. The expressions are the ones records/selectors/search.py
  queries with (same columns, order and configuration), so the planner can use
  them; they are written out here, not imported, so this migration keeps its
  meaning when the selectors change (a new search column needs a new migration).
* ``UPPER(name) text_pattern_ops`` on clients, for the ``name__istartswith``
  prefix that bounds the close-name candidates of duplicate hints.

SQLite has neither; the fallback there scans (fine for the embedded default).
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations
from django.db.models import TextField, Value
from django.db.models.functions import Cast, Replace

# Contacts' emails as "jo acme.example" (see records/selectors/search.py).
EMAIL_HALVES = Replace(
    Cast("emails", TextField()), Value("@"), Value(" "), output_field=TextField()
)

INDEXES = {
    "client": [
        GinIndex(SearchVector("name", "domain", "industry", config="simple"), name="client_search"),
    ],
    "contact": [
        GinIndex(
            SearchVector("name", "title", EMAIL_HALVES, config="simple"), name="contact_search"
        )
    ],
    "deal": [GinIndex(SearchVector("title", config="simple"), name="deal_search")],
    "ticket": [GinIndex(SearchVector("subject", config="simple"), name="ticket_search")],
}


def _each_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, indexes in INDEXES.items():
        model = apps.get_model("records", model_name)
        for index in indexes:
            yield model, index


# What Django's name__istartswith compiles to on PostgreSQL: UPPER("name"::text) LIKE UPPER(…).
NAME_PREFIX = (
    'CREATE INDEX "client_name_prefix" ON "records_client" (UPPER("name"::text) text_pattern_ops)'
)


def add_indexes(apps, schema_editor):
    for model, index in _each_index(apps, schema_editor):
        schema_editor.add_index(model, index)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NAME_PREFIX)


def remove_indexes(apps, schema_editor):
    for model, index in _each_index(apps, schema_editor):
        schema_editor.remove_index(model, index)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('DROP INDEX "client_name_prefix"')


class Migration(migrations.Migration):
    dependencies = [("records", "0003_merge_and_saved_views")]

    operations = [migrations.RunPython(add_indexes, remove_indexes)]
