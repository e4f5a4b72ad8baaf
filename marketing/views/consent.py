"""The client page's marketing panel buttons: record a contact's consent, or unsubscribe
them on their word (marketing/services/consent.py)."""

from django.urls import reverse
from django.views.decorators.http import require_POST

from marketing.services import consent
from records import events as record_events
from records import policies as record_policies
from workspace.htmx import run_write


def _write(request, pk: int, service):
    contact = record_policies.access_contact(request.user, pk)
    return run_write(
        request,
        lambda: service(contact),
        topic=record_events.client_topic(contact.client_id),
        page_url=reverse("records:client_detail", args=[contact.client_id]),
        forbidden="You cannot change this contact's marketing email.",
    )


@require_POST
def contact_consent(request, pk: int):
    text = request.POST.get("text", "")
    return _write(
        request,
        pk,
        lambda contact: consent.record_consent(actor=request.user, contact=contact, text=text),
    )


@require_POST
def contact_unsubscribe(request, pk: int):
    return _write(
        request,
        pk,
        lambda contact: consent.record_unsubscribe(actor=request.user, contact=contact),
    )
