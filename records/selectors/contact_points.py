"""Finding contacts and clients by an email address or a phone number.

Incoming mail is matched by its sender's address, calls by the caller's
number. Contacts keep both in JSON lists: on PostgreSQL ``__contains`` with a
one-item list is served by the GIN indexes of migration 0013; SQLite has no
JSON containment, so there the quoted value is looked for in the list's text
(``icontains``: addresses are kept lowercase, numbers are digits).
Phone numbers are compared in E.164 (records.models.values.normalize_phone).
"""

from django.db import connection

from records.models import Client, Contact


def _in_list(field: str, value: str) -> dict:
    if connection.vendor == "postgresql":
        return {f"{field}__contains": [value]}
    return {f"{field}__icontains": f'"{value}"'}


def contacts_with_email(address: str):
    """Contacts (of live clients) that have ``address`` among their emails."""
    address = (address or "").strip().lower()
    if not address:
        return Contact.objects.none()
    return Contact.objects.filter(
        client__merged_into__isnull=True, **_in_list("emails", address)
    ).select_related("client")


def contacts_with_phone(number: str):
    """Contacts (of live clients) that have the E.164 ``number`` among their phones."""
    if not number:
        return Contact.objects.none()
    return Contact.objects.filter(
        client__merged_into__isnull=True, **_in_list("phones", number)
    ).select_related("client")


def clients_with_phone(number: str):
    """Live clients whose main phone is the E.164 ``number``."""
    if not number:
        return Client.objects.none()
    return Client.objects.filter(merged_into__isnull=True, archived=False, phone=number)


def clients_with_domain(domain: str):
    """Live clients at ``domain`` (an address's part after the @)."""
    domain = (domain or "").strip().lower().removeprefix("www.")
    if not domain:
        return Client.objects.none()
    return Client.objects.filter(merged_into__isnull=True, archived=False, domain=domain)
