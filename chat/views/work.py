"""From chat to work: a task made from a message, a message logged to the client's timeline.

Both look the message up with ``access_message`` (one 404 for a missing
message and one in a room the person may not read). The task form is records'
own (quick-add in a modal for htmx, the full page otherwise), prefilled from
the message (``?message=``) and linked to the room's client; creating goes
through ``records.services.create_task`` as any task does.
"""

from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from chat import events, policies, services
from chat.models import Room
from workspace.htmx import run_write


@require_GET
def message_task(request, pk):
    """Redirect to records' task form for this message (htmx follows it: the modal)."""
    message = policies.access_message(request.user, pk)
    if message.is_deleted:
        raise Http404("No such message.")
    query = {"message": message.pk}
    if message.room.kind == Room.Kind.CLIENT:
        query = {"client": message.room.client_id, **query}
    form = "records:task_quick" if request.htmx else "records:task_new"
    return redirect(f"{reverse(form)}?{urlencode(query)}")


@require_POST
def message_highlight(request, pk):
    """Log a client-room message into the client's timeline; htmx gets the message redrawn
    (marked as logged) as the room's live event; a refusal answers 403/422 with its reason."""
    message = policies.access_message(request.user, pk)
    return run_write(
        request,
        lambda: services.highlight_message(actor=request.user, message=message),
        topic=events.room_topic(message.room_id),
        page_url=events.message_link(message),
        forbidden="Only client-room messages can be logged to a timeline.",
    )
