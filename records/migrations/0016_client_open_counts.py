"""Each client's open deals and open tickets, counted on its row for the client list's sorts.

The services keep the counters (records/services/counts.py); this fills them from the
deals and tickets there are, before their indexes are built.
"""

from django.db import migrations, models

BACKFILL = """
UPDATE records_client SET
    open_deal_count = (
        SELECT COUNT(*) FROM records_deal
        WHERE records_deal.client_id = records_client.id AND records_deal.status = 'open'
    ),
    open_ticket_count = (
        SELECT COUNT(*) FROM records_ticket
        WHERE records_ticket.client_id = records_client.id
        AND records_ticket.status NOT IN ('solved', 'closed')
    )
"""


class Migration(migrations.Migration):
    dependencies = [("records", "0015_fieldchange_via_timelineentry_via")]

    operations = [
        migrations.AddField(
            model_name="client",
            name="open_deal_count",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="client",
            name="open_ticket_count",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="client",
            index=models.Index(fields=["open_deal_count", "id"], name="client_open_deals"),
        ),
        migrations.AddIndex(
            model_name="client",
            index=models.Index(fields=["open_ticket_count", "id"], name="client_open_tickets"),
        ),
    ]
