"""The live topics the mail app publishes (DESIGN §4).

* ``mailtriage.<key>``: the triage list — mail nobody has matched to a client.
  Who sees a waiting thread depends on it (integrations/mail/policies.py), so it is
  published on one topic per audience: ``mailtriage.all`` (admins and managers),
  ``mailtriage.<department id>`` (the department of the address it came to) and
  ``mailtriage.p<person id>`` (the member of staff who BCC'd or forwarded it).
  The fragment is the same for all of them.
* ``ticket.<id>`` (records' topic): a mail in a ticket's thread reloads the ticket
  page's email panel (templates/mail/ticket_panel.html).
"""

from django.template.loader import render_to_string

from integrations.mail import policies, threads
from integrations.mail.models import EmailMessage, EmailThread
from records.events import ticket_topic, user_topic
from records.policies import in_department
from workspace import live

TRIAGE_TEMPLATE = "mail/triage.html"
TICKET_PANEL_TEMPLATE = "mail/ticket_panel.html"


def arrival_kind(message: EmailMessage) -> str:
    """The event kind of a mail taken in (or out of triage): "mail.received", or
    "mail.sent" for one a member of staff sent and BCC'd to Workspace."""
    return "mail.sent" if message.direction == EmailMessage.Direction.OUT else "mail.received"


def can_follow_triage(user, key: str) -> bool:
    if not policies.can_view_triage(user):
        return False
    if user.is_admin or user.is_manager:
        return True
    if key.isdigit():
        return in_department(user, int(key))
    return key == f"p{user.pk}"


live.register_topic("mailtriage", can_follow_triage)


def triage_topics_for(user) -> list[str]:
    """The triage topics a page shown to ``user`` follows."""
    if user.is_admin or user.is_manager:
        return ["mailtriage.all"]
    return [f"mailtriage.{pk}" for pk in user.departments.values_list("pk", flat=True)] + [
        f"mailtriage.p{user.pk}"
    ]


def triage_topics_of(thread: EmailThread) -> list[str]:
    """Where a change to a waiting thread is published: all who may see it in triage."""
    topics = ["mailtriage.all"]
    address = thread.inbound_address
    if address is not None and address.department_id:
        topics.append(f"mailtriage.{address.department_id}")
    if thread.created_by_id is not None:
        topics.append(f"mailtriage.p{thread.created_by_id}")
    return topics


def triage_added(thread: EmailThread, row) -> None:
    """A thread (or a new message of one) waits in triage: at the top of open lists."""
    html = render_to_string(f"{TRIAGE_TEMPLATE}#live-added", {"row": row})
    live.publish_each(
        triage_topics_of(thread),
        "mail.triage.added",
        {"thread": thread.pk},
        html=html,
    )


def triage_removed(thread: EmailThread, *, kind: str) -> None:
    """A thread left triage (attached to a client, or dismissed): off open lists."""
    html = render_to_string(f"{TRIAGE_TEMPLATE}#live-removed", {"thread_id": thread.pk})
    live.publish_each(triage_topics_of(thread), kind, {"thread": thread.pk}, html=html)


# ``mailthread.<id>``: a thread's page (its messages, its privacy), for whoever may see
# the thread (integrations/mail/threads.py, which also draws its fragments).
live.register_topic("mailthread", threads.can_follow_thread)


def ticket_mail_changed(thread: EmailThread) -> None:
    """A mail arrived in a ticket's thread: open ticket pages reload their email panel
    (it depends on the viewer; a private thread's only on its owner's tabs)."""
    html = render_to_string(f"{TICKET_PANEL_TEMPLATE}#placeholder", {"ticket_id": thread.ticket_id})
    if thread.private_to_id is not None:
        topics = [user_topic(thread.private_to_id)]
    else:
        topics = [ticket_topic(thread.ticket_id)]
    live.publish_each(topics, "mail.ticket", {"ticket": thread.ticket_id}, html=html)
