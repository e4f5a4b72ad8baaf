"""Recording, on a person's word, that a contact agreed to marketing email or asked to
receive no more (an unsubscribe taken by phone or in a meeting)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.models import User
from marketing import panels
from marketing.models import Consent, Suppression
from records import events as record_events
from records import fragments
from records import policies as record_policies
from records.models import Contact, TimelineEntry
from records.timeline import add_entry
from workspace import live

CONSENT_TEXT_MAX = 500


def _check(actor: User, contact: Contact) -> str:
    if not record_policies.can_edit_contact(actor, contact):
        raise PermissionDenied("Only people who may edit this client record its contacts' consent.")
    email = panels.first_email(contact)
    if not email:
        raise ValidationError(f"{contact} has no email address to record it for.")
    return email


def record_consent(*, actor: User, contact: Contact, text: str) -> Consent:
    """Record that ``contact`` agreed to marketing email (``text``: to what, how).

    An address that unsubscribed or bounced stays suppressed: consent given to
    a person does not undo an unsubscribe the address sent us."""
    email = _check(actor, contact)
    text = " ".join((text or "").split())
    if not text:
        raise ValidationError({"text": "Say what they agreed to, and how (“by phone, 3 May”)."})
    if len(text) > CONSENT_TEXT_MAX:
        raise ValidationError({"text": f"Keep it under {CONSENT_TEXT_MAX} characters."})
    with transaction.atomic():
        consent, _ = Consent.objects.update_or_create(
            email=email,
            defaults={"text": text, "source": Consent.Source.MANUAL, "recorded_by": actor},
        )
        _tell(actor, contact, f"{actor} recorded {contact}'s consent to marketing email")
    return consent


def record_unsubscribe(*, actor: User, contact: Contact) -> Suppression:
    """Stop every campaign from emailing ``contact``'s address, as they asked."""
    email = _check(actor, contact)
    with transaction.atomic():
        suppression, created = Suppression.objects.get_or_create(
            email=email, defaults={"reason": Suppression.Reason.UNSUBSCRIBED}
        )
        if created:
            _tell(actor, contact, f"{actor} unsubscribed {contact} from marketing email")
    return suppression


def _tell(actor: User, contact: Contact, summary: str) -> None:
    client = contact.client
    entry = add_entry(
        actor=actor,
        client_id=client.pk,
        kind=TimelineEntry.Kind.CONTACT,
        summary=summary,
        data={"contact": contact.pk},
    )
    kind = "marketing.consent"
    payload = {"contact": contact.pk, "actor": actor.pk, "timeline": entry.pk}
    timeline = fragments.render(kind, payload) or ""  # the new entry, atop the timeline
    live.publish(
        record_events.client_topic(client.pk), kind, payload, panels.panel_html(client) + timeline
    )
