"""Messages over HTTP: posting (the socket's fallback), older pages, threads, editing,
deleting and reactions.

The socket's ``chat.send`` is the usual way to post; ``POST rooms/<pk>/messages/``
takes the same fields (``body``, ``client_id``, ``parent``) through the same
service, so a send retried over HTTP after the socket dropped it is not
duplicated. htmx answers carry the live event the write published
(``X-Live-Event``), which live.js applies like the socket's copy.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from chat import events, policies, selectors, services
from chat.models import MESSAGE_MAX_LENGTH
from chat.views.rooms import room_url
from workspace.htmx import live_reply, refused, run_write

MESSAGES = "chat/message.html"
ROOM = "chat/room.html"


def room_messages(request, pk):
    """GET: the page of messages before ``?before=<seq>`` (scrolling up). POST: a message."""
    room = policies.access_room(request.user, pk)
    if request.method == "POST":
        return _post(request, room)
    before = request.GET.get("before", "")
    if not request.htmx or not before.isdigit():
        return redirect(room_url(room))
    page = selectors.latest_messages(room, before=int(before))
    return render(request, f"{ROOM}#older-page", {"room": room, "page": page})


def _post(request, room):
    body = request.POST.get("body", "")
    client_id = request.POST.get("client_id") or None
    try:
        parent = _parent(request)
        message, created = services.post_message(
            actor=request.user, room=room, body=body, client_id=client_id, parent=parent
        )
    except services.RateLimited as limited:
        response = _refused(request, room, limited.messages, 429)
        response["Retry-After"] = str(limited.retry_after)
        return response
    except PermissionDenied as denied:
        return _refused(request, room, [str(denied) or "You cannot post in this room."], 403)
    except ValidationError as invalid:
        return _refused(request, room, invalid.messages, 422)
    if not request.htmx:
        return redirect(f"{room_url(room)}#msg-{message.pk}")
    response = live_reply(request, topic=events.room_topic(room.pk))
    if not created:  # a resend: nothing was published; draw the message already posted
        response.content = _posted_html(message)
    response["X-Chat-Message"] = str(message.pk)
    return response


def _parent(request):
    wanted = request.POST.get("parent")
    return policies.access_message(request.user, wanted) if wanted else None


def _refused(request, room, reasons, status):
    return refused(request, " ".join(reasons), status, page_url=room_url(room))


def _posted_html(message) -> str:
    shown = selectors.message_for_display(message.pk)
    parent = selectors.message_for_display(message.parent_id) if message.parent_id else None
    return events.posted_fragment(shown, parent=parent)


@require_GET
def thread(request, pk):
    """A thread's panel: its root, the replies (live) and a reply box."""
    message = policies.access_message(request.user, pk)
    root_id = message.parent_id or message.pk
    if not request.htmx:
        return redirect(f"{room_url(message.room)}?thread={root_id}")
    root, replies = selectors.thread(root_id)
    context = {
        "room": root.room,
        "thread_root": root,
        "replies": replies,
        "can_post": policies.can_post(request.user, root.room),
        "can_moderate": policies.can_moderate(request.user, root.room),
        "max_length": MESSAGE_MAX_LENGTH,
    }
    return render(request, f"{ROOM}#thread", context)


def _shown(user, pk):
    message = policies.access_message(user, pk)
    return message, selectors.message_for_display(message.pk)


@require_GET
def message_show(request, pk):
    """One message as the room shows it (what Cancel in the editor goes back to)."""
    message, shown = _shown(request.user, pk)
    if not request.htmx:
        return redirect(events.message_link(message))
    return render(request, f"{MESSAGES}#message", {"message": shown})


def message_edit(request, pk):
    """GET: the author's editor in place. POST: save through ``edit_message``."""
    message, shown = _shown(request.user, pk)
    if not policies.can_edit_message(request.user, message):
        return refused(
            request, "You can only edit your own messages.", 403, page_url=room_url(message.room)
        )
    body = request.POST.get("body", message.body)
    error, status = None, 200
    if request.method == "POST":
        try:
            services.edit_message(actor=request.user, message=message, body=body)
        except (PermissionDenied, ValidationError) as refusal:
            error = " ".join(getattr(refusal, "messages", None) or [str(refusal)])
            status = 403 if isinstance(refusal, PermissionDenied) else 422
        else:
            if not request.htmx:
                return redirect(events.message_link(message))
            response = live_reply(request, topic=events.room_topic(message.room_id))
            if not response.content:  # the same text: nothing changed, draw it again
                response.content = render_to_string(
                    f"{MESSAGES}#message-oob", {"message": shown, "oob": True}
                )
            return response
    context = {"message": shown, "body": body, "error": error, "max_length": MESSAGE_MAX_LENGTH}
    template = f"{MESSAGES}#edit" if request.htmx else "chat/message_edit.html"
    return render(request, template, context, status=status)


def _message_write(request, message, service, forbidden: str) -> HttpResponse:
    return run_write(
        request,
        service,
        topic=events.room_topic(message.room_id),
        page_url=events.message_link(message),
        forbidden=forbidden,
    )


@require_POST
def message_delete(request, pk):
    message = policies.access_message(request.user, pk)
    return _message_write(
        request,
        message,
        lambda: services.delete_message(actor=request.user, message=message),
        "You cannot delete this message.",
    )


@require_POST
def message_react(request, pk):
    message = policies.access_message(request.user, pk)
    emoji = request.POST.get("emoji", "")
    return _message_write(
        request,
        message,
        lambda: services.toggle_reaction(actor=request.user, message=message, emoji=emoji),
        "You cannot react in this room.",
    )
