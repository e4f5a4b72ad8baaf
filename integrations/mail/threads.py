"""Reading a thread (its page, its live topic) and the fragments its page is kept
live with.

The page follows ``mailthread.<id>`` (registered in integrations/mail/events.py
with :func:`can_follow_thread`, i.e. ``policies.can_view_thread``). Every event
about a message (``mail.*`` with the message's ``id`` and ``thread`` in its
payload, published by integrations/mail/timeline.py on ``topics_of``) also
carries the message as the thread page draws it: records renders an event's
fragment once for all its topics (records/fragments), so this module registers
a renderer there, and a client page simply finds no target for it.
"""

from django.db.models import Prefetch

from integrations.mail import policies
from integrations.mail.models import EmailAttachment, EmailMessage, EmailThread
from records.fragments import EVERY_KIND, fragment, renders

TOPIC_PREFIX = "mailthread"


def thread_topic(thread_id: int) -> str:
    return f"{TOPIC_PREFIX}.{thread_id}"


def can_follow_thread(user, key: str) -> bool:
    """The live policy of ``mailthread.<id>``: whoever may see the thread."""
    if not key.isdigit():
        return False
    thread = EmailThread.objects.select_related("client", "inbound_address").filter(pk=key).first()
    return thread is not None and policies.can_view_thread(user, thread)


def messages_of(thread_id: int):
    """A thread's messages, oldest first, with what the page draws: three queries in all."""
    return (
        EmailMessage.objects.filter(thread_id=thread_id)
        .select_related("sender")
        .prefetch_related(Prefetch("attachments", queryset=EmailAttachment.objects.order_by("pk")))
        .order_by("created_at", "pk")
    )


@renders(EVERY_KIND)
def thread_message(kind: str, payload: dict) -> str:
    """A message added to or changed in a thread, for open thread pages (inserted, or
    replaced where shown: live.js matches the element id)."""
    if not kind.startswith("mail.") or not payload.get("id") or not payload.get("thread"):
        return ""
    message = messages_of(payload["thread"]).filter(pk=payload["id"]).first()
    if message is None:
        return ""
    return fragment("mail/thread.html#message-oob", {"m": message})
