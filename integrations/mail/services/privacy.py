"""Marking an email thread private, or visible to everyone again (issue 19, "Privacy").

A private thread is seen by the person who marked it and admins only: on the
timeline (its messages' entries carry ``private_to``), on its page, in search and
in reports. Open pages follow at once: others' client pages lose the entries
(each becomes an empty, hidden placeholder with the entry's id), the owner's
are redrawn from the owner's own topic with a "Private" badge, and everyone
else's open thread page is re-checked (its topic refused from then on).
Made visible again, the entries come back in place on pages holding their
placeholder (a page drawn meanwhile shows them after a reload).
"""

from datetime import UTC

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from integrations.mail import policies
from integrations.mail.models import EmailThread
from integrations.mail.threads import thread_topic
from integrations.mail.timeline import topics_of
from records import events
from records.models import TimelineEntry
from workspace import live

KIND = "mail.thread.privacy"


def set_private(*, actor, thread: EmailThread, private: bool) -> EmailThread:
    """Make ``thread`` private to ``actor`` (``private``) or visible to everyone again.

    Marking an already private thread private changes nothing (it stays its first
    owner's); so does making a visible thread visible. Returns the thread as saved.
    """
    with transaction.atomic():
        thread = (
            EmailThread.objects.select_for_update(of=("self",))
            .select_related("client", "inbound_address")
            .get(pk=thread.pk)
        )
        if not policies.can_make_private(actor, thread):
            raise PermissionDenied("You can't change who sees this email thread.")
        if thread.is_private == private:
            return thread
        public_topics = [topic for topic in topics_of(thread) if topic != thread_topic(thread.pk)]
        owner_id = thread.private_to_id
        thread.private_to = actor if private else None
        thread.save(update_fields=["private_to"])
        entries = list(_entries_of(thread))
        TimelineEntry.objects.filter(pk__in=[entry.pk for entry in entries]).update(
            private_to=thread.private_to
        )
        for entry in entries:
            entry.private_to_id = thread.private_to_id
        _publish(thread, entries, public_topics, owner_id)
    return thread


def _entries_of(thread: EmailThread):
    return TimelineEntry.objects.filter(
        pk__in=thread.messages.exclude(timeline_entry=None).values("timeline_entry")
    ).select_related("actor")


def _publish(thread, entries, public_topics, former_owner_id) -> None:
    """The change, on the pages that show the thread (see the module's docstring)."""
    payload = {"thread": thread.pk, "private": thread.is_private}
    if thread.is_private:
        # ``public_topics`` were read before the change: the client, deal and ticket pages.
        live.publish_each(public_topics, KIND, payload, html=_placeholders(entries))
        live.publish_each(
            [events.user_topic(thread.private_to_id), thread_topic(thread.pk)],
            KIND,
            payload,
            html=_entries_html(entries) + _privacy_html(thread),
        )
        live.recheck_access(topics=[thread_topic(thread.pk)])
    else:
        topics = [*topics_of(thread), events.user_topic(former_owner_id)]
        live.publish_each(
            topics, KIND, payload, html=_entries_html(entries) + _privacy_html(thread)
        )


def _placeholders(entries) -> str:
    return "".join(
        render_to_string("mail/thread_parts.html#entry-placeholder", {"entry": entry})
        for entry in entries
    )


def _entries_html(entries) -> str:
    with timezone.override(UTC):
        return "".join(
            render_to_string("records/client_detail.html#entry-replace-oob", {"entry": entry})
            for entry in entries
        )


def _privacy_html(thread) -> str:
    return render_to_string("mail/thread.html#privacy-oob", {"thread": thread})
