"""The ticket page (status, SLA, rating, properties, comments) and opening a ticket.

What every viewer sees alike (header, SLA panel, rating, history) is drawn by
partials that records/fragments/tickets.py also renders for live events. What
depends on the viewer (the status buttons, "Assign to me", the rating form) is
the "controls" partial, drawn per viewer here and re-fetched by each open page
when an event changes the ticket.
"""

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from records import events, policies, services
from records.fragments.tickets import CONTROLS
from records.models import Ticket
from records.selectors import tickets as selectors
from records.selectors.fields import editable_text
from records.ticket_forms import TicketForm
from records.views.create import refusal_as_error
from workspace.forms import call_service
from workspace.htmx import refused, run_write

PAGE = "records/ticket_detail.html"


def ticket_detail(request, pk):
    ticket = policies.access_ticket(request.user, pk)
    context = {
        **selectors.shared_parts(ticket),
        **controls_context(request.user, ticket),
        "history": selectors.history(ticket),
        "topic": events.ticket_topic(ticket.pk),
    }
    return render(request, PAGE, context)


def controls_context(user, ticket: Ticket) -> dict:
    return {
        "ticket": ticket,
        "can_edit": policies.can_edit_ticket(user, ticket),
        "viewer": user,
        "next_statuses": next_statuses(ticket.status),
    }


# Status buttons by current status: (new status, label, icon, Bootstrap style).
_OPEN = (Ticket.Status.OPEN, "Open", "envelope-open", "outline-primary")
_PENDING = (Ticket.Status.PENDING, "Pending", "hourglass-split", "outline-warning")
_SOLVE = (Ticket.Status.SOLVED, "Solve", "check2-circle", "success")
_CLOSE = (Ticket.Status.CLOSED, "Close", "archive", "outline-secondary")
_REOPEN = (Ticket.Status.OPEN, "Reopen", "arrow-counterclockwise", "outline-primary")
NEXT_STATUSES = {
    Ticket.Status.NEW: (_OPEN, _PENDING, _SOLVE),
    Ticket.Status.OPEN: (_PENDING, _SOLVE),
    Ticket.Status.PENDING: (_OPEN, _SOLVE),
    Ticket.Status.SOLVED: (_CLOSE, _REOPEN),
    Ticket.Status.CLOSED: (_REOPEN,),
}


def next_statuses(status: str) -> tuple:
    return NEXT_STATUSES.get(status, ())


@require_GET
def ticket_controls(request, pk, part):
    """One per-viewer control block, as the page draws it (fetched again after events)."""
    if part not in CONTROLS:
        raise Http404("No such part.")
    ticket = policies.access_ticket(request.user, pk)
    if not request.htmx:
        return redirect("records:ticket_detail", pk=ticket.pk)
    return render(request, f"{PAGE}#{part}", controls_context(request.user, ticket))


# --- Writes: status, rating, assign to me ------------------------------------------------


@require_POST
def ticket_status(request, pk):
    ticket = policies.access_ticket(request.user, pk)
    status = request.POST.get("status", "")
    return _write(
        request,
        ticket,
        lambda: services.set_ticket_status(actor=request.user, ticket=ticket, status=status),
    )


@require_POST
def ticket_rate(request, pk):
    ticket = policies.access_ticket(request.user, pk)
    rating = request.POST.get("satisfaction")
    return _write(
        request,
        ticket,
        lambda: services.rate_ticket(actor=request.user, ticket=ticket, satisfaction=rating),
    )


@require_POST
def ticket_assign_me(request, pk):
    ticket = policies.access_ticket(request.user, pk)
    return _write(
        request,
        ticket,
        lambda: services.update_field(
            actor=request.user,
            obj=ticket,
            field="assignee",
            value=request.user.pk,
            seen_value=editable_text(ticket.assignee_id),
        ),
    )


def _write(request, ticket: Ticket, service):
    """Run a ticket write the viewer may make; a refusal answers 403/409/422 with the reason.

    htmx gets the live event the write published (``X-Live-Event``, applied by
    live.js like the socket's copy); a plain form post goes back to the page.
    """
    page_url = reverse("records:ticket_detail", args=[ticket.pk])
    forbidden = "Only support, the ticket's assignee and admins change tickets."
    if not policies.can_edit_ticket(request.user, ticket):
        return refused(request, forbidden, 403, page_url=page_url)
    topic = events.ticket_topic(ticket.pk)
    return run_write(request, service, topic=topic, page_url=page_url, forbidden=forbidden)


# --- Opening a ticket ---------------------------------------------------------------------


def ticket_new(request):
    client = None
    if request.GET.get("client"):
        client = policies.access_client(request.user, request.GET["client"])
    form = TicketForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid():
        create = refusal_as_error(lambda: open_ticket(request.user, form.cleaned_data))
        ticket = call_service(form, create)
        if ticket:
            messages.success(request, f"Ticket “{ticket}” opened.")
            return redirect("records:ticket_detail", pk=ticket.pk)
    return render(request, "records/ticket_form.html", {"form": form, "client": client})


@transaction.atomic
def open_ticket(actor, data: dict) -> Ticket:
    """The ticket and its first message together: both saved and published, or neither."""
    fields = {key: value for key, value in data.items() if key != "message"}
    ticket = services.create_ticket(actor=actor, **fields)
    services.post_comment(actor=actor, target=ticket, body=data["message"])
    return ticket


@require_GET
def ticket_contacts(request):
    """The contact options of the client picked on the new-ticket form (htmx)."""
    client_id = request.GET.get("client", "")
    if client_id:
        policies.access_client(request.user, client_id)
    contacts = selectors.contacts_of(client_id if client_id.isdigit() else None)
    return render(request, "records/ticket_form.html#contact-options", {"contacts": contacts})


@require_GET
def ticket_client_options(request):
    """The client options of the new-ticket form matching a search (htmx)."""
    query = " ".join(request.GET.get("q", "").split())[:100]
    context = {"clients": selectors.client_choices(query), "query": query}
    return render(request, "records/ticket_form.html#client-options", context)
