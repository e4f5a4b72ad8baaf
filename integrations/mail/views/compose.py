"""Composing mail from the client, deal and ticket pages, replying in a thread, and Retry.

``compose`` answers ``?client=``, ``?deal=``, ``?ticket=`` or ``?thread=``: a
modal for the pages' htmx "Send email" buttons, a page for plain requests.
A refused mail comes back as the form's fields with readable errors; the
attachment picker sits outside the part that is redrawn, so the files chosen
stay chosen. A sent mail answers with its timeline event (``X-Live-Event``)
and a ``mail-sent`` trigger that closes the dialog.
"""

import json
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations.mail import merge, policies
from integrations.mail.forms import ComposeForm
from integrations.mail.models import EmailMessage, EmailThread, Snippet
from integrations.mail.services import outgoing
from integrations.mail.timeline import topics_of
from records import policies as records_policies
from workspace.forms import call_service
from workspace.htmx import live_reply, run_write
from workspace.text import render_markdown

TEMPLATE = "mail/compose.html"


@dataclass
class Origin:
    """What the mail is written from: a client, one of its deals or tickets, or a thread."""

    client: object
    deal: object = None
    ticket: object = None
    thread: EmailThread | None = None

    @property
    def query(self) -> str:
        for name in ("thread", "ticket", "deal"):
            if getattr(self, name) is not None:
                return f"{name}={getattr(self, name).pk}"
        return f"client={self.client.pk}"

    @property
    def page_url(self) -> str:
        if self.thread is not None:
            return reverse("mail:thread", args=[self.thread.pk])
        for name in ("ticket", "deal"):
            if getattr(self, name) is not None:
                return reverse(f"records:{name}_detail", args=[getattr(self, name).pk])
        return reverse("records:client_detail", args=[self.client.pk])


def _number(query, name: str) -> str | None:
    value = query.get(name, "")
    return value if value.isdigit() else None


def _origin(request) -> Origin:
    """The record named in the query, or one 404 (missing and forbidden alike); 403 when
    it is visible but not to be written to."""
    user, query = request.user, request.GET
    if thread_id := _number(query, "thread"):
        thread = policies.access_thread(user, thread_id)
        if not policies.can_reply(user, thread):
            raise PermissionDenied("Attach this mail to a client before answering it.")
        origin = Origin(thread.client, thread.deal, thread.ticket, thread)
    elif ticket_id := _number(query, "ticket"):
        ticket = records_policies.access_ticket(user, ticket_id)
        origin = Origin(ticket.client, ticket=ticket)
    elif deal_id := _number(query, "deal"):
        deal = records_policies.access_deal(user, deal_id)
        origin = Origin(deal.client, deal=deal)
    elif client_id := _number(query, "client"):
        origin = Origin(records_policies.access_client(user, client_id))
    else:
        raise Http404("Say which client the mail is for.")
    if not policies.can_send_to_client(user, origin.client):
        raise PermissionDenied("You cannot write to this client.")
    return origin


def _participants(thread: EmailThread | None) -> list[str]:
    """Who wrote in ``thread`` from outside, most recent first."""
    if thread is None:
        return []
    senders = thread.messages.filter(direction=EmailMessage.Direction.IN).order_by(
        "-created_at", "-pk"
    )
    return list(dict.fromkeys(a.lower() for a in senders.values_list("from_address", flat=True)))


def _choices(origin: Origin, participants: list[str]) -> list[dict]:
    """The addresses the mail may go to: the client's contacts', then other people who
    wrote in the thread."""
    choices = [
        {"address": address, "name": contact.name, "title": contact.title}
        for contact in origin.client.contacts.all()
        for address in contact.emails
    ]
    known = {choice["address"] for choice in choices}
    others = [a for a in participants if a not in known]
    return choices + [{"address": a, "name": "", "title": "wrote in this thread"} for a in others]


def _initial(origin: Origin, choices: list[dict], participants: list[str]) -> dict:
    if origin.thread is not None:
        subject = origin.thread.subject
        if not subject.lower().startswith("re:"):
            subject = f"Re: {subject}"
        return {"to": participants[:1], "subject": subject}
    if origin.ticket is not None:
        contact = origin.ticket.contact
        return {"to": contact.emails[:1] if contact else [], "subject": origin.ticket.subject}
    return {"to": [choices[0]["address"]] if len(choices) == 1 else []}


def _snippets(user):
    return Snippet.objects.filter(Q(owner=None) | Q(owner=user)).only("pk", "name", "owner")


def _context(request, origin: Origin, form, choices) -> dict:
    picked = form["to"].value() or []
    for choice in choices:
        choice["checked"] = choice["address"] in picked
    return {
        "form": form,
        "origin": origin,
        "choices": choices,
        "snippets": _snippets(request.user),
        "signature_html": render_markdown(request.user.email_signature),
        "max_each": settings.MAIL_ATTACHMENT_MAX_BYTES,
        "max_total": settings.MAIL_ATTACHMENTS_TOTAL_MAX_BYTES,
        "merge_fields": merge.known_fields(),
    }


@require_http_methods(["GET", "POST"])
def compose(request):
    origin = _origin(request)
    participants = _participants(origin.thread)
    choices = _choices(origin, participants)
    if request.method == "POST":
        form = ComposeForm(request.POST, request.FILES)
        if form.is_valid():
            message = call_service(form, lambda: _send(request.user, origin, form.cleaned_data))
            if message is not None:
                return _sent(request, origin, message)
    else:
        form = ComposeForm(initial=_initial(origin, choices, participants))
    context = _context(request, origin, form, choices)
    if not request.htmx:
        return render(request, TEMPLATE, context, status=422 if form.errors else 200)
    if request.method == "POST":
        return render(request, f"{TEMPLATE}#refused", context, status=422)
    return render(request, f"{TEMPLATE}#modal", context)


def _send(actor, origin: Origin, data: dict) -> EmailMessage:
    return outgoing.send_email(
        actor=actor,
        client=origin.client,
        to=data["to"],
        cc=data["cc"],
        subject=data["subject"],
        body=data["body"],
        attachments=data["attachments"],
        deal=origin.deal,
        ticket=origin.ticket,
        thread=origin.thread,
    )


def _sent(request, origin: Origin, message: EmailMessage) -> HttpResponse:
    text = f"Sending “{message.subject}” to {', '.join(message.to)}."
    if not request.htmx:
        messages.success(request, text)
        return redirect(origin.page_url)
    response = live_reply(request, topic=topics_of(message.thread)[0])
    response["HX-Trigger"] = json.dumps({"mail-sent": {"text": text}})
    response["HX-Reswap"] = "none"
    return response


@require_GET
def compose_snippet(request):
    """The subject and message boxes with a snippet put in: the subject if it was empty,
    the text after what was typed."""
    snippet = Snippet.objects.filter(pk=_number(request.GET, "snippet") or 0).first()
    if snippet is None or not policies.can_use_snippet(request.user, snippet):
        raise Http404("No such snippet.")
    subject = request.GET.get("subject", "").strip() or snippet.subject
    body = "\n\n".join(filter(None, [request.GET.get("body", "").rstrip(), snippet.body]))
    form = ComposeForm(initial={"subject": subject, "body": body})
    return render(request, f"{TEMPLATE}#compose-text", {"form": form})


@require_POST
def retry(request, pk):
    """Send a failed mail again (Retry on its timeline entry)."""
    message = policies.access_message(request.user, pk)
    return run_write(
        request,
        lambda: outgoing.retry(actor=request.user, message=message),
        topic=topics_of(message.thread)[0],
        page_url=reverse("mail:thread", args=[message.thread_id]),
        forbidden="Only the sender or an admin can send this email again.",
    )
