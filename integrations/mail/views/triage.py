"""The triage list: mail nobody has matched to a client (docs/EMAIL.md, "Triage").

One row per waiting thread, newest first. Its actions (attach to a client found by
name, create a contact for the sender at a client and attach, dismiss) post to
the triage services; a row leaves every open list by the live event the service
publishes, which the writer's own tab applies from the response (X-Live-Event).
"""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from integrations.mail import events, policies
from integrations.mail.models import EmailThread
from integrations.mail.services import triage
from records.models import Client
from records.selectors.search import CLIENTS, Terms, matching
from workspace.htmx import run_write

PAGE = "mail/triage.html"
CLIENTS_PAGE = "mail/triage_clients.html"
PER_PAGE = 25
CLIENTS_SHOWN = 8
# Every event of a waiting thread is published on this topic (among others): the one an
# htmx write answers with.
ANSWER_TOPIC = "mailtriage.all"


@require_GET
def triage_list(request):
    if not policies.can_view_triage(request.user):
        raise Http404("No triage list.")
    page = Paginator(triage.triage_threads(request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "rows": triage.rows(page.object_list),
        "live_topics": events.triage_topics_for(request.user),
    }
    return render(request, PAGE, context)


@require_GET
def triage_clients(request, pk):
    """Clients whose name matches ``q``, to attach the thread (or its new contact) to:
    ``mode`` "attach" lists attach buttons, "contact" radio buttons of the contact form."""
    thread = _waiting_thread(request.user, pk)
    query = request.GET.get("q", "")
    mode = "contact" if request.GET.get("mode") == "contact" else "attach"
    clients = list(matching(CLIENTS, Terms.of(query), limit=CLIENTS_SHOWN)[:CLIENTS_SHOWN])
    context = {"thread": thread, "clients": clients, "query": query, "mode": mode}
    if request.htmx:
        return render(request, f"{CLIENTS_PAGE}#results", context)
    return render(request, CLIENTS_PAGE, context)


@require_POST
def triage_attach(request, pk):
    thread = _waiting_thread(request.user, pk)
    client = _client(request.POST.get("client"))
    return _write(
        request, lambda: triage.attach_thread(actor=request.user, thread=thread, client=client)
    )


@require_POST
def triage_contact(request, pk):
    thread = _waiting_thread(request.user, pk)
    client = _client(request.POST.get("client"))
    name = request.POST.get("name", "")
    return _write(
        request,
        lambda: triage.create_contact_and_attach(
            actor=request.user, thread=thread, client=client, name=name
        ),
    )


@require_POST
def triage_dismiss(request, pk):
    thread = _waiting_thread(request.user, pk)
    return _write(request, lambda: triage.dismiss_thread(actor=request.user, thread=thread))


def _waiting_thread(user, pk) -> EmailThread:
    """A thread ``user`` may handle in triage; one 404 for missing, forbidden and a thread
    that has left triage."""
    thread = policies.access_thread(user, pk)
    if thread.client_id is not None or not policies.can_view_triage_thread(user, thread):
        raise Http404("This mail is not waiting in triage.")
    return thread


def _client(pk) -> Client | None:
    """The client picked on a form (None: none or no such client; the service says so)."""
    if not str(pk or "").isdigit():
        return None
    return Client.objects.filter(pk=int(pk)).first()


def _write(request, service):
    return run_write(
        request,
        service,
        topic=ANSWER_TOPIC,
        page_url=reverse("mail:triage"),
        forbidden="You cannot handle this mail.",
    )
