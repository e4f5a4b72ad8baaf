"""The shared parts of record pages: ``{% load records_ui %}`` then

* ``{% field_editor obj "field" %}`` (``layout="row"|"stack"|"title"``): one field
  of a client, contact, deal, ticket or task, click-to-edit for those allowed,
  live-updated. Custom client fields are ``"custom.<key>"``; a page showing
  many passes ``custom_fields`` (``selectors.fields.custom_definitions()``) in
  its context to read their definitions once.
* ``{% field_value obj "field" %}``: the live-updated value alone (lists, rows).
* ``{% comment_thread target %}``: the threaded comments of a client, deal,
  ticket or task with the post form, @mention autocomplete, edit and delete; live.
* ``{% presence topic %}`` (a topic name or a record): avatars of the others viewing it now.
* ``{% timeline_part entry as part %}``: the body of a timeline entry drawn by the app
  that registered a template for it (records.timeline.register_entry_template), or "".
* ``{% records_assets %}``: their stylesheet and script, for ``{% block head %}``.
"""

import uuid

from django import template
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join

from records import policies, timeline
from records.models import COMMENT_MAX_LENGTH
from records.selectors import client_page
from records.selectors import comments as comment_selectors
from records.selectors.fields import field_view

register = template.Library()


def _viewer(context):
    request = context.get("request")
    return request.user if request is not None else context["user"]


@register.inclusion_tag("records/fields.html#field", takes_context=True)
def field_editor(context, obj, field: str, layout: str = "row"):
    view = field_view(obj, field, context.get("custom_fields"))
    custom_gone = field.startswith("custom.") and view.definition is None
    can_edit = not custom_gone and policies.can_edit_field(_viewer(context), obj, field)
    return {"v": view, "layout": layout, "can_edit": can_edit}


@register.inclusion_tag("records/fields.html#value", takes_context=True)
def field_value(context, obj, field: str):
    return {"v": field_view(obj, field, context.get("custom_fields"))}


@register.inclusion_tag("records/comments.html#thread", takes_context=True)
def comment_thread(context, target):
    return thread_context(_viewer(context), target, csrf_token=context.get("csrf_token"))


def thread_context(viewer, target, **extra) -> dict:
    """What the thread partial needs (also used by the thread's resync view)."""
    return {
        "target": target,
        "target_name": comment_selectors.target_name(target),
        "comments": comment_selectors.thread(target),
        "viewer": viewer,
        "can_comment": policies.can_comment(viewer, target),
        "can_moderate": viewer.is_admin,
        "max_length": COMMENT_MAX_LENGTH,
        **extra,
    }


@register.simple_tag
def new_send_id() -> str:
    """A fresh id for a comment form's post (``post_comment``'s ``send_id``): each form
    drawn gets its own, so a re-sent post is known and a new one is new."""
    return uuid.uuid4().hex


@register.filter
def comment_html(comment) -> str:
    """A comment's sanitized body with mentions drawn as chips."""
    return comment_selectors.chip_mentions(comment)


TIMELINE_ICONS = {
    "created": "stars",
    "field": "pencil-square",
    "comment": "chat-left-text",
    "call": "telephone",
    "meeting": "people",
    "email": "envelope",
    "note": "journal-text",
    "contact": "person-plus",
    "deal": "currency-exchange",
    "ticket": "life-preserver",
    "merge": "intersect",
    "task": "check2-square",
    "handoff": "arrow-left-right",
    "campaign": "megaphone",
    "web_form": "ui-checks",
    "chat": "chat-quote",
}


@register.filter
def timeline_icon(kind: str) -> str:
    return TIMELINE_ICONS.get(kind, "dot")


@register.filter
def timeline_group(kind: str) -> str:
    """The filter chip an entry belongs to (live entries hide under another chip)."""
    return client_page.timeline_group(kind)


@register.simple_tag(takes_context=True)
def timeline_part(context, entry) -> str:
    """The entry's body as its app draws it ("" when none registered): the same for every
    viewer, since live events draw it once for all (the csrf token is the page's own)."""
    template = timeline.entry_template(entry)
    if template is None:
        return ""
    return render_to_string(template, {"entry": entry, "csrf_token": context.get("csrf_token")})


@register.inclusion_tag("records/presence.html")
def presence(topic):
    """``topic`` is a topic name ("client.5") or a record (its page's topic)."""
    if hasattr(topic, "_meta"):
        topic = f"{topic._meta.model_name}.{topic.pk}"
    return {"topic": topic}


@register.simple_tag
def records_assets() -> str:
    """The stylesheets and script the components need (put in ``{% block head %}``),
    with those of the timeline parts other apps draw."""
    links = format_html_join(
        "",
        '<link rel="stylesheet" href="{}">',
        ((static(path),) for path in ("css/records.css", *timeline.entry_stylesheets)),
    )
    return format_html('{}<script src="{}" defer></script>', links, static("js/records.js"))
