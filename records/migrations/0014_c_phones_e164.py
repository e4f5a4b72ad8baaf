"""Phone numbers in E.164 (records.models.values.normalize_phone), as every write now stores
them. A number that does not parse is left as it was: a person sees it and can fix it."""

from django.core.exceptions import ValidationError
from django.db import migrations

from records.models.values import normalize_phone

BATCH = 1000


def _e164(number: str, region: str) -> str:
    try:
        return normalize_phone(number, region) or number
    except ValidationError:
        return number


def normalize_existing_phones(apps, schema_editor):
    """Clients' phones read in their country, contacts' in their client's country."""
    Client = apps.get_model("records", "Client")
    Contact = apps.get_model("records", "Contact")
    clients = []
    for client in Client.objects.exclude(phone="").only("pk", "phone", "country").iterator():
        phone = _e164(client.phone, client.country)
        if phone != client.phone:
            client.phone = phone
            clients.append(client)
    Client.objects.bulk_update(clients, ["phone"], batch_size=BATCH)
    contacts = []
    rows = Contact.objects.exclude(phones=[]).select_related("client")
    for contact in rows.only("pk", "phones", "client__country").iterator():
        if not isinstance(contact.phones, list):
            continue
        phones = list(dict.fromkeys(_e164(str(p), contact.client.country) for p in contact.phones))
        if phones != contact.phones:
            contact.phones = phones
            contacts.append(contact)
    Contact.objects.bulk_update(contacts, ["phones"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0013_private_entries_contact_points"),
    ]

    operations = [
        migrations.RunPython(normalize_existing_phones, migrations.RunPython.noop, elidable=True),
    ]
