"""Comment threads: post, reply, edit, delete, and @mention suggestions.

Posting answers htmx with the live event's own fragment (``X-Live-Event``):
live.js applies it exactly like the socket's copy, so whichever arrives
second changes nothing, and the writer sees their comment even with the
socket down. Editing and deleting answer with the comment's card.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from accounts import selectors as people
from records import policies, services
from records.models import COMMENT_MAX_LENGTH
from records.selectors import comments as selectors
from records.templatetags.records_ui import thread_context
from records.views.fields import record_url
from workspace.htmx import live_reply

MENTION_SUGGESTIONS = 8


def _target(user, name: str, pk: int):
    if name not in selectors.TARGETS:
        raise Http404("No such record.")
    return getattr(policies, f"access_{name}")(user, pk)


def _error(error: ValidationError) -> str:
    return " ".join(error.messages)


def comment_thread(request, target: str, pk: int):
    """GET: the whole thread (what a tab re-fetches on resync). POST: a new comment."""
    record = _target(request.user, target, pk)
    if request.method == "POST":
        return _post(request, record)
    if not request.htmx:
        return redirect(record_url(record))
    context = thread_context(request.user, record)
    return render(request, "records/comments.html#thread", context)


def _post(request, record):
    parent = None
    if request.POST.get("parent"):
        parent = policies.access_comment(request.user, request.POST["parent"])
    body = request.POST.get("body", "")
    try:
        comment = services.post_comment(
            actor=request.user,
            target=record,
            body=body,
            parent=parent,
            send_id=request.POST.get("send_id"),
        )
    except ValidationError as error:
        return _form(request, record, parent, body=body, error=_error(error), status=422)
    if not request.htmx:
        return redirect(f"{record_url(record)}#comment-{comment.pk}")
    return _posted_reply(request, record, parent)


def _form_context(request, record, parent, **extra) -> dict:
    return {
        "target": record,
        "target_name": selectors.target_name(record),
        "parent": parent,
        "viewer": request.user,
        "max_length": COMMENT_MAX_LENGTH,
        **extra,
    }


def _form(request, record, parent, *, status=200, **extra):
    context = _form_context(request, record, parent, **extra)
    template = "records/comments.html#form" if request.htmx else "records/comment_page.html"
    return render(request, template, context, status=status)


def _posted_reply(request, record, parent):
    """The event's fragment (the new comment, the timeline entry) plus a fresh form."""
    if parent is None:
        context = _form_context(request, record, None, oob=True)
        reset = render_to_string("records/comments.html#form", context, request)
    else:
        slot = f"comment-{selectors.root_id(parent)}-reply-slot"
        reset = f'<div class="comment-reply-slot" id="{slot}" hx-swap-oob="true"></div>'
    topic = f"{selectors.target_name(record)}.{record.pk}"
    return live_reply(request, reset, topic=topic)


def comment_reply(request, pk: int):
    """The reply form under a top-level comment."""
    parent = policies.access_comment(request.user, pk)
    if parent.is_deleted:
        raise Http404("That comment was deleted.")
    return _form(request, parent.target, parent)


def comment_show(request, pk: int):
    """One comment's card (what Cancel returns to)."""
    comment = _comment(request.user, pk)
    if not request.htmx:
        return redirect(record_url(comment.target))
    return _card(request, comment)


def _comment(user, pk: int):
    policies.access_comment(user, pk)
    return selectors.comment(pk)


def _card(request, comment, status=200):
    return render(request, "records/comments.html#card", {"comment": comment}, status=status)


def comment_edit(request, pk: int):
    """GET: the author's editor. POST: save through ``edit_comment`` (marked edited)."""
    comment = _comment(request.user, pk)
    body = request.POST.get("body", comment.body)
    error, status = None, 200
    if not policies.can_edit_comment(request.user, comment):
        error, status = "Only its author can edit a comment.", 403
    elif request.method == "POST":
        try:
            services.edit_comment(actor=request.user, comment=comment, body=body)
        except PermissionDenied as denied:
            error, status = str(denied), 403
        except ValidationError as invalid:
            error, status = _error(invalid), 422
        else:
            if not request.htmx:
                return redirect(f"{record_url(comment.target)}#comment-{pk}")
            return _card(request, selectors.comment(pk))
    context = {"comment": comment, "body": body, "error": error, "max_length": COMMENT_MAX_LENGTH}
    template = "records/comments.html#edit-card" if request.htmx else "records/comment_page.html"
    return render(request, template, context, status=status)


@require_POST
def comment_delete(request, pk: int):
    comment = _comment(request.user, pk)
    services.delete_comment(actor=request.user, comment=comment)  # PermissionDenied: 403
    if not request.htmx:
        return redirect(record_url(comment.target))
    return _card(request, selectors.comment(pk))


def mention_people(request):
    """Active people whose name or email matches ``q``: the @mention dropdown."""
    query = request.GET.get("q", "").strip()[:60]
    matches = people.people_matching(query).order_by("full_name")[:MENTION_SUGGESTIONS]
    return JsonResponse(
        {
            "people": [
                {
                    "id": person.pk,
                    "name": person.full_name or person.email,
                    "email": person.email,
                    "initials": person.initials,
                    "colour": person.avatar_colour,
                }
                for person in matches
            ]
        }
    )
