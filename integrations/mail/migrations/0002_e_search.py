"""The GIN index behind the global search's emails, on PostgreSQL only.

Its expression is the one integrations/mail/search.py queries with (same columns,
order and configuration), written out here so this migration keeps its meaning
if the search changes. SQLite has none; the fallback there scans.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations
from django.db.models import TextField, Value
from django.db.models.functions import Replace

# The sender's address as its two halves (see the search module).
ADDRESS_HALVES = Replace("from_address", Value("@"), Value(" "), output_field=TextField())
INDEX = GinIndex(
    SearchVector("subject", "from_name", ADDRESS_HALVES, "body_text", config="simple"),
    name="mailmessage_search",
)


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("mail", "EmailMessage"), INDEX)


def remove_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("mail", "EmailMessage"), INDEX)


class Migration(migrations.Migration):
    dependencies = [("mail", "0001_initial")]

    operations = [migrations.RunPython(add_index, remove_index)]
