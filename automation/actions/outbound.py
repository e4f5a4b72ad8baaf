"""Actions that leave the building: an email to the client, a call to a webhook.

* ``send_email``: a mail snippet (integrations/mail: subject and body with merge fields,
  ``{{ contact.first_name }}``…) sent by the rule's owner to the client's primary
  contact — the ticket's contact when the record is a ticket that has one, else the
  client's first contact (the earliest added) with an email address. A client with
  no such contact is refused, saying so.
* ``call_webhook``: an active webhook endpoint an admin set up, sent the rule, what it
  heard and the record's snapshot (``integrations.webhooks.services.queue_for_automation``:
  signed, retried, address-checked like every delivery).
"""

from django.core.exceptions import PermissionDenied, ValidationError

from automation.actions import base
from automation.actions.base import ActionType, Param
from automation.errors import BrokenReference
from integrations.mail import merge
from integrations.mail import policies as mail_policies
from integrations.mail.models import Snippet
from integrations.mail.services.outgoing import send_email
from integrations.webhooks.models import Endpoint
from integrations.webhooks.services import queue_for_automation
from records.models import Deal, Ticket

LABEL_EMAIL = "Send an email"
LABEL_WEBHOOK = "Call a webhook"
RECIPIENTS = {"primary_contact": "The client's primary contact"}
# Merge-field sources only some records bring.
RECORD_SOURCES = ("deal", "ticket")

# --- Send an email ----------------------------------------------------------------------


def clean_email(config: dict, trigger_key: str, owner) -> dict:
    subject_type = base.require_record(trigger_key, "Sending an email")
    to = base.one_of(
        {"to": config.get("to") or "primary_contact"}, "to", RECIPIENTS, "the recipient"
    )
    snippet = Snippet.objects.filter(pk=_pk(config.get("template"))).first()
    if snippet is None:
        raise ValidationError("Choose a mail snippet to send.")
    if not mail_policies.can_use_snippet(owner, snippet):
        raise ValidationError(f"The snippet “{snippet}” is not one the rule's owner may use.")
    if not snippet.subject:
        raise ValidationError(f"The snippet “{snippet}” has no subject: give it one first.")
    _check_sources(snippet, subject_type)
    return {"template": snippet.pk, "to": to}


def describe_email(config: dict, ctx) -> str:
    snippet, contact = _email_plan(config, ctx)
    sources = merge.Sources(
        me=ctx.actor,
        client=contact.client,
        contact=contact,
        deal=ctx.subject if isinstance(ctx.subject, Deal) else None,
        ticket=ctx.subject if isinstance(ctx.subject, Ticket) else None,
    )
    subject = merge.fill(snippet.subject, sources, field="subject")
    return f"Would email “{subject}” to {contact} ({contact.emails[0]})"


def perform_email(config: dict, ctx) -> str:
    snippet, contact = _email_plan(config, ctx)
    subject = ctx.subject
    message = send_email(
        actor=ctx.actor,
        client=contact.client,
        to=[contact.pk],
        subject=snippet.subject,
        body=snippet.body,
        deal=subject if isinstance(subject, Deal) else None,
        ticket=subject if isinstance(subject, Ticket) else None,
    )
    return f"Emailed “{message.subject}” to {contact} ({contact.emails[0]})"


def _pk(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _check_sources(snippet: Snippet, subject_type: str | None) -> None:
    """Refuse a snippet whose merge fields need a deal or ticket this trigger lacks."""
    used = merge.FIELD.findall(f"{snippet.subject}\n{snippet.body}")
    needs = {merge.FIELDS[name][0] for name in used if name in merge.FIELDS}
    lacking = [source for source in RECORD_SOURCES if source in needs and source != subject_type]
    if subject_type is not None and lacking:
        raise ValidationError(
            f"The snippet “{snippet}” uses {' and '.join(lacking)} fields, "
            "which this trigger's record does not have."
        )


def _email_plan(config: dict, ctx):
    base.record(ctx)
    snippet = Snippet.objects.filter(pk=config["template"]).first()
    if snippet is None:
        raise BrokenReference(f"The mail snippet “{LABEL_EMAIL}” sends was deleted.")
    if not mail_policies.can_use_snippet(ctx.actor, snippet):
        raise PermissionDenied(f"{ctx.actor} may no longer use the snippet “{snippet}”.")
    return snippet, primary_contact(ctx)


def primary_contact(ctx):
    """The ticket's contact when it has an address, else the client's first contact with one."""
    subject = ctx.subject
    if isinstance(subject, Ticket) and subject.contact_id and subject.contact.emails:
        return subject.contact
    client = base.client(ctx)
    for contact in client.contacts.order_by("pk"):
        if contact.emails:
            return contact
    raise ValidationError(f"Not sent: {client} has no contact with an email address.")


# --- Call a webhook ---------------------------------------------------------------------


def clean_webhook(config: dict, trigger_key: str, owner) -> dict:
    endpoint = Endpoint.objects.filter(pk=_pk(config.get("endpoint"))).first()
    if endpoint is None:
        raise ValidationError("Choose a webhook endpoint.")
    if not endpoint.active:
        raise ValidationError(f"The endpoint {endpoint} is switched off: switch it on first.")
    return {"endpoint": endpoint.pk}


def describe_webhook(config: dict, ctx) -> str:
    return f"Would send the record to the webhook {_endpoint(config)}"


def perform_webhook(config: dict, ctx) -> str:
    endpoint = _endpoint(config)
    subject = ctx.subject
    delivery = queue_for_automation(
        actor=ctx.actor,
        endpoint=endpoint,
        payload={
            "rule": {"id": ctx.rule.pk, "name": ctx.rule.name},
            "trigger": ctx.rule.trigger,
            "heard": ctx.trigger_kind,
            "event": ctx.payload,
            "subject": {"type": ctx.subject_type, "id": subject.pk if subject else None},
        },
        subject=ctx.subject_type,
        subject_id=subject.pk if subject else None,
    )
    return f"Queued delivery {delivery.uid} to the webhook {endpoint}"


def _endpoint(config: dict) -> Endpoint:
    endpoint = Endpoint.objects.filter(pk=config["endpoint"]).first()
    if endpoint is None or not endpoint.active:
        state = "deleted" if endpoint is None else "switched off"
        raise BrokenReference(f"The webhook endpoint the rule calls was {state}.")
    return endpoint


ACTIONS = (
    ActionType(
        key="send_email",
        label=LABEL_EMAIL,
        clean=clean_email,
        describe=describe_email,
        perform=perform_email,
        params=(
            Param("template", "Snippet", "snippet", required=True),
            Param("to", "To", "choice", required=True, choices=tuple(RECIPIENTS.items())),
        ),
    ),
    ActionType(
        key="call_webhook",
        label=LABEL_WEBHOOK,
        clean=clean_webhook,
        describe=describe_webhook,
        perform=perform_webhook,
        params=(Param("endpoint", "Endpoint", "endpoint", required=True),),
    ),
)
