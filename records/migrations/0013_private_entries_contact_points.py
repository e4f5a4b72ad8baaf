"""Private timeline entries (private email threads), and the indexes that find a
contact by an email address or phone number (incoming mail and calls).

Contacts keep their addresses and numbers in JSON lists; on PostgreSQL a GIN
index (jsonb_path_ops) serves ``emails__contains=[address]`` and
``phones__contains=[number]`` (records/selectors/contact_points.py). Like
migration 0008 these are added only on PostgreSQL.
"""

import django.db.models.deletion
from django.contrib.postgres.indexes import GinIndex
from django.conf import settings
from django.db import migrations, models


INDEXES = [
    GinIndex(fields=["emails"], opclasses=["jsonb_path_ops"], name="contact_emails_gin"),
    GinIndex(fields=["phones"], opclasses=["jsonb_path_ops"], name="contact_phones_gin"),
]


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for index in INDEXES:
            schema_editor.add_index(apps.get_model("records", "contact"), index)


def remove_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for index in INDEXES:
            schema_editor.remove_index(apps.get_model("records", "contact"), index)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_mail_signature_phone_extension'),
        ('records', '0012_segment_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='timelineentry',
            name='private_to',
            field=models.ForeignKey(blank=True, help_text='Set: only this person and admins see the entry (a private email thread).', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='client',
            index=models.Index(fields=['phone'], name='client_phone'),
        ),
        migrations.RunPython(add_indexes, remove_indexes),
    ]
