"""The email panel of a ticket page: the mail of the threads linked to the ticket.

records must not import the mail app, so the ticket page loads this panel by URL
(``hx-trigger="load"``). Which threads show depends on the viewer (private ones
only to their owner and admins): a live event about the ticket's mail carries an
empty placeholder that each open ticket page fills with its own copy.
"""

from django.db.models import Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from integrations.mail.models import EmailMessage
from records import policies as records_policies

PANEL = "mail/ticket_panel.html"
MESSAGES_SHOWN = 30


@require_GET
def ticket_mail(request, pk):
    ticket = records_policies.access_ticket(request.user, pk)
    if not request.htmx:
        return redirect("records:ticket_detail", pk=ticket.pk)
    return render(request, PANEL, {"ticket": ticket, "messages": _messages(request.user, ticket)})


def _messages(user, ticket) -> list[EmailMessage]:
    """The newest messages of the ticket's threads the viewer may see, oldest first."""
    messages = EmailMessage.objects.filter(thread__ticket=ticket)
    if not user.is_admin:
        messages = messages.filter(Q(thread__private_to__isnull=True) | Q(thread__private_to=user))
    newest = messages.select_related("thread", "sender").prefetch_related("attachments")
    return list(reversed(newest.order_by("-created_at", "-pk")[:MESSAGES_SHOWN]))
