"""Email messages on the client's timeline, and the topics a message is published on.

Every message with a client gets one timeline entry (kind ``email``), written in
the transaction that writes the message; a change of status (sending → sent or
failed) updates that entry and replaces it in open pages. A private thread's
entries carry ``private_to``: the timeline shows them to that person and admins
only, and their live events go to that person's own topic, never the client's.
"""

from integrations.mail.models import EmailMessage, EmailThread
from integrations.mail.threads import thread_topic
from records import events
from records.models import TimelineEntry
from records.timeline import add_entry


def topics_of(thread: EmailThread) -> list[str]:
    """Where a change to ``thread`` is published: its own page, its client's page (or,
    private, the owner's own feed) and its deal's and ticket's pages."""
    if thread.private_to_id:
        return [thread_topic(thread.pk), events.user_topic(thread.private_to_id)]
    topics = [thread_topic(thread.pk)]
    if thread.client_id:
        topics.append(events.client_topic(thread.client_id))
    if thread.deal_id:
        topics.append(events.deal_topic(thread.deal_id))
    if thread.ticket_id:
        topics.append(events.ticket_topic(thread.ticket_id))
    return topics


def summary_of(message: EmailMessage) -> str:
    if message.sender_id:
        who = message.sender.full_name
    else:
        who = message.from_name or message.from_address
    subject = message.subject or "(no subject)"
    if message.direction == EmailMessage.Direction.OUT:
        return f"{who} emailed {', '.join(message.to)}: {subject}"
    return f"{who} wrote: {subject}"


def entry_data(message: EmailMessage) -> dict:
    """What the timeline shows of a message without reading it again (templates/mail/
    timeline_email.html draws it): one entry, no query, whoever looks."""
    return {
        "message": message.pk,
        "thread": message.thread_id,
        "direction": message.direction,
        "status": message.status,
        "failure": message.failure_reason,
        "from": message.from_address,
        "from_name": message.from_name,
        "to": list(message.to),
        "cc": list(message.cc),
        "subject": message.subject,
        "sender": message.sender_id,
        "automatic": message.is_automatic,
        "attachments": [
            {"id": attachment.pk, "name": attachment.filename, "size": attachment.size}
            for attachment in message.attachments.all()
        ],
        "quoted": bool(message.quoted_html),
        "remote_images": message.has_remote_images,
        "note": message.note,
    }


def record_message(message: EmailMessage, *, kind: str) -> TimelineEntry | None:
    """Put ``message`` on its client's timeline and publish it (event ``kind``, e.g.
    ``mail.sending`` or ``mail.received``). Nothing while it has no client (triage).
    Call inside the transaction that wrote the message."""
    if message.client_id is None:
        return None
    thread = message.thread
    entry = add_entry(
        actor=message.sender,
        client_id=message.client_id,
        kind=TimelineEntry.Kind.EMAIL,
        summary=summary_of(message),
        obj=thread.ticket or thread.deal,
        body_html=message.body_html,
        data=entry_data(message),
        private_to=thread.private_to,
    )
    message.timeline_entry = entry
    message.save(update_fields=["timeline_entry"])
    events.publish(
        topics_of(thread), kind, {"id": message.pk, "thread": thread.pk, "timeline": entry.pk}
    )
    return entry


def refresh_message(message: EmailMessage, *, kind: str) -> None:
    """After a change of ``message`` (its status), redraw its timeline entry where shown."""
    entry = message.timeline_entry
    if entry is None:
        return
    entry.data = entry_data(message)
    entry.body_html = message.body_html
    entry.save(update_fields=["data", "body_html"])
    events.publish(
        topics_of(message.thread),
        kind,
        {"id": message.pk, "thread": message.thread_id, "timeline_changed": entry.pk},
    )
