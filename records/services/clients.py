"""Clients, their contacts and logged activities."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Department, User
from records import events, policies
from records.models import (
    Client,
    Contact,
    TimelineEntry,
    normalize_tags,
    validate_custom_values,
)
from records.services.base import (
    _audit,
    _check_body,
    _lock,
    _normalize,
    _require,
    _topics,
)
from records.timeline import add_entry
from workspace.text import render_markdown

ACTIVITY_KINDS = {kind.value for kind in TimelineEntry.ACTIVITIES}

# --- Clients -------------------------------------------------------------------

CLIENT_CREATE_FIELDS = {
    "domain",
    "industry",
    "country",
    "size",
    "address",
    "phone",
    "tags",
    "lifecycle",
    "source",
    "custom_values",
}


def create_client(
    *,
    actor: User,
    name: str,
    owner: User | None = None,
    department: Department | None = None,
    **fields,
) -> Client:
    """Create a client owned by ``owner`` (default: the actor) in ``department``.

    The department defaults to the actor's first department. Making someone
    else the owner takes an admin or a manager of that department.
    """
    _require(policies.can_create_client(actor), "You cannot add clients.")
    unknown = set(fields) - CLIENT_CREATE_FIELDS
    if unknown:
        raise ValidationError(f"Unknown client fields: {', '.join(sorted(unknown))}.")
    owner = owner or actor
    if department is None:
        department = actor.departments.order_by("pk").first()
        if department is None:
            raise ValidationError({"department": "Pick the department the client belongs to."})
    _require(
        actor.is_admin or policies.in_department(actor, department.pk),
        f"You cannot add clients to {department}.",
    )
    if owner.pk != actor.pk:
        _require(
            policies.can_assign_owner(actor, department.pk),
            "Only admins and the department's managers can give a client to someone else.",
        )
    if not owner.is_active:
        raise ValidationError({"owner": "Pick an active member of staff."})
    if "tags" in fields:
        fields["tags"] = normalize_tags(fields["tags"])
    if "custom_values" in fields:
        fields["custom_values"] = validate_custom_values(fields["custom_values"] or {})
    with transaction.atomic():
        client = Client(name=name, owner=owner, department=department, created_by=actor, **fields)
        client.full_clean()
        client.save()
        entry = add_entry(
            actor=actor,
            client_id=client.pk,
            kind=TimelineEntry.Kind.CREATED,
            summary=f"{actor} added {client}",
        )
        events.publish(
            _topics(client),
            "client.created",
            {"id": client.pk, "actor": actor.pk, "timeline": entry.pk},
        )
    return client


def archive_client(*, actor: User, client: Client, archived: bool = True) -> Client:
    """Archive (hide from lists, keep everything) or restore a client."""
    with transaction.atomic():
        client = _lock(client)
        _require(policies.can_manage_client(actor, client), "You cannot archive this client.")
        if client.archived == archived:
            return client
        client.archived = archived
        client.updated_at = timezone.now()
        client.save(update_fields=["archived", "updated_at"])
        change = _audit(actor=actor, obj=client, field="archived", old=not archived, new=archived)
        entry = add_entry(
            actor=actor,
            client_id=client.pk,
            kind=TimelineEntry.Kind.FIELD,
            summary=f"{actor} {'archived' if archived else 'restored'} {client}",
            data={"model": "client", "id": client.pk, "change": change.pk},
        )
        events.publish(
            _topics(client),
            "client.archived" if archived else "client.restored",
            {"id": client.pk, "actor": actor.pk, "timeline": entry.pk},
        )
    return client


# --- Contacts ------------------------------------------------------------------


def create_contact(
    *,
    actor: User,
    client: Client,
    name: str,
    emails=(),
    phones=(),
    title: str = "",
    preferred_channel: str = Contact.Channel.EMAIL,
    notes: str = "",
) -> Contact:
    _require(policies.can_edit_client(actor, client), "You cannot add contacts to this client.")
    with transaction.atomic():
        client = _lock(client)
        contact = Contact(
            client=client,
            name=name,
            title=title.strip(),
            emails=_normalize(Contact, "emails", list(emails)),
            phones=_normalize(Contact, "phones", list(phones)),
            preferred_channel=preferred_channel,
            notes=notes.strip(),
        )
        contact.full_clean()
        contact.save()
        entry = add_entry(
            actor=actor,
            client_id=client.pk,
            kind=TimelineEntry.Kind.CONTACT,
            summary=f"{actor} added contact {contact}",
            data={"contact": contact.pk},
        )
        events.publish(
            _topics(contact),
            "contact.created",
            {"id": contact.pk, "client": client.pk, "actor": actor.pk, "timeline": entry.pk},
        )
    return contact


def delete_contact(*, actor: User, contact: Contact) -> None:
    """Delete a contact (a duplicate, someone who left); the client's timeline keeps a line
    saying who deleted whom, and open pages drop the contact's row."""
    with transaction.atomic():
        contact = _lock(contact)
        client = contact.client
        _require(policies.can_edit_client(actor, client), "You cannot delete this contact.")
        topics = _topics(contact)
        entry = add_entry(
            actor=actor,
            client_id=client.pk,
            kind=TimelineEntry.Kind.CONTACT,
            summary=f"{actor} deleted contact {contact}",
            data={"contact": contact.pk},
        )
        payload = {"id": contact.pk, "client": client.pk, "actor": actor.pk, "timeline": entry.pk}
        contact.delete()
        events.publish(topics, "contact.deleted", payload)


# --- Activities ----------------------------------------------------------------


def log_activity(
    *, actor: User, client: Client, kind: str, summary: str, body: str = ""
) -> TimelineEntry:
    """Log a call, meeting, email or note on the client's timeline."""
    if kind not in ACTIVITY_KINDS:
        raise ValidationError({"kind": "Log a call, a meeting, an email or a note."})
    _require(policies.can_log_activity(actor, client), "You cannot log activities here.")
    summary = " ".join((summary or "").split())
    if not summary:
        raise ValidationError({"summary": "Say in a line what happened."})
    if len(summary) > 300:
        raise ValidationError({"summary": "Keep the summary under 300 characters."})
    if body:
        body = _check_body(body)
    with transaction.atomic():
        client = _lock(client)
        entry = TimelineEntry(
            client=client,
            kind=kind,
            actor=actor,
            summary=summary,
            body=body,
            body_html=render_markdown(body),
        )
        entry.full_clean()
        entry.save()
        events.publish(
            [events.client_topic(client.pk)],
            "activity.logged",
            {"id": entry.pk, "kind": kind, "actor": actor.pk, "timeline": entry.pk},
        )
    return entry
