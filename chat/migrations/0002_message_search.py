"""Full-text index on message text, on PostgreSQL only (like records/0004_search_index).

A GIN expression index over ``to_tsvector('simple', body)``: the expression
chat/search.py queries with (``message_vector``), written out here rather than
imported so this migration keeps its meaning if the search changes. SQLite has
no such index; its fallback scans (fine for the embedded default).
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEX = GinIndex(SearchVector("body", config="simple"), name="chat_message_search")


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("chat", "message"), INDEX)


def remove_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("chat", "message"), INDEX)


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial")]

    operations = [migrations.RunPython(add_index, remove_index)]
