"""Record each event's transaction and horizon (PostgreSQL only; NULL elsewhere).

The columns are added without a default, then given one: existing rows stay
NULL (no table rewrite, no invented values) and every row inserted afterwards
gets the database's values.
"""

from django.db import migrations, models

import workspace.live.models


def transaction_column(default=None):
    return models.BigIntegerField(db_default=default, editable=False, null=True)


class Migration(migrations.Migration):
    dependencies = [
        ("live", "0001_initial"),
    ]

    operations = [
        migrations.AddField(model_name="event", name="xact", field=transaction_column()),
        migrations.AddField(model_name="event", name="horizon", field=transaction_column()),
        migrations.AlterField(
            model_name="event",
            name="xact",
            field=transaction_column(workspace.live.models.CurrentTransaction()),
        ),
        migrations.AlterField(
            model_name="event",
            name="horizon",
            field=transaction_column(workspace.live.models.OldestRunningTransaction()),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(fields=["xact"], name="live_event_xact"),
        ),
    ]
