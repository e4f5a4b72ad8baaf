"""The thread page (``mail:thread``) and the parts of a message fetched on request:
its quoted history, its body with remote images (docs/EMAIL.md)."""

from django.contrib import messages as flash
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from integrations.mail import policies
from integrations.mail.display import original_csp, with_remote_images
from integrations.mail.services.privacy import set_private
from integrations.mail.threads import messages_of


def thread_detail(request, pk: int):
    thread = policies.access_thread(request.user, pk)
    context = {
        "thread": thread,
        "thread_messages": list(messages_of(thread.pk)),
        "can_make_private": policies.can_make_private(request.user, thread),
        "can_reply": policies.can_reply(request.user, thread),
    }
    return render(request, "mail/thread.html", context)


@require_POST
def thread_privacy(request, pk: int):
    """Mark the thread private (``private=1``) or visible to everyone (``private=0``)."""
    thread = policies.access_thread(request.user, pk)
    choice = request.POST.get("private")
    if choice not in ("0", "1"):
        return HttpResponseBadRequest("Say whether the thread is to be private (1) or not (0).")
    private = choice == "1"
    set_private(actor=request.user, thread=thread, private=private)  # 403 if not allowed
    if private:
        flash.success(request, "Only you and admins see this thread now.")
    else:
        flash.success(request, "Everyone who sees the client sees this thread now.")
    if request.htmx:  # a form redrawn live has no csrf field: htmx sent the header instead
        return HttpResponse(headers={"HX-Redirect": reverse("mail:thread", args=[pk])})
    return redirect("mail:thread", pk=pk)


def message_quoted(request, pk: int):
    """The quoted history of a message (a timeline entry folds it until asked)."""
    message = policies.access_message(request.user, pk)
    return render(request, "mail/thread_parts.html#quoted-body", {"message": message})


def message_images(request, pk: int):
    """The body again, framed with its remote images (htmx); else the framed page itself."""
    message = policies.access_message(request.user, pk)
    if not request.htmx:
        return redirect("mail:message_original", pk=pk)
    return render(request, "mail/thread_parts.html#remote-frame", {"message": message})


@original_csp
@xframe_options_sameorigin
def message_original(request, pk: int):
    """The sanitized body with its remote images put back, as its own document: framed
    sandboxed by the page that asked, under a CSP that lets only images load. (The
    quoted history stays folded in the page, its images held back.)"""
    message = policies.access_message(request.user, pk)
    context = {"message": message, "body": with_remote_images(message.body_html)}
    response = render(request, "mail/thread_original.html", context)
    response["Referrer-Policy"] = "no-referrer"
    return response
