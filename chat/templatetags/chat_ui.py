"""What chat's templates draw beyond plain fields: ``{% load chat_ui %}``.

* ``message|message_html``: a message's sanitized body with @person and
  @department mentions as chips (#client chips are made when it is posted).
* ``message|reaction_groups``: its reactions grouped by emoji, in the fixed order.
"""

import html
import re

from django import template
from django.utils.safestring import mark_safe

from chat import selectors
from chat.models import Reaction
from records.selectors.comments import chip_mentions
from records.templatetags.records_ui import records_assets

register = template.Library()

_TAG = re.compile(r"(<[^>]*>)")


def _chip_departments(body_html: str, slugs: list[str]) -> str:
    """``@sales`` → a chip, in text between tags only (never inside an attribute)."""
    if not slugs:
        return body_html
    names = "|".join(re.escape(html.escape(slug, quote=False)) for slug in slugs)
    mention = re.compile(rf"(?<![\w@])@({names})(?![\w-])", re.IGNORECASE)
    parts = _TAG.split(body_html)
    for index in range(0, len(parts), 2):
        parts[index] = mention.sub(r'<span class="mention mention-team">@\1</span>', parts[index])
    return "".join(parts)


@register.filter
def message_html(message) -> str:
    """The body as HTML (sanitized when posted by workspace.text.render_markdown)."""
    people_chipped = chip_mentions(message)
    slugs = [department.slug for department in message.mentioned_departments.all()]
    return mark_safe(_chip_departments(people_chipped, slugs))  # noqa: S308 (fixed markup)


@register.filter
def reaction_groups(message):
    return selectors.reaction_groups(message)


@register.filter
def room_icon(room) -> str:
    return selectors.room_icon(room)


@register.simple_tag
def reaction_choices():
    """The fixed set of reactions, as ``(emoji, label)`` pairs."""
    return Reaction.Emoji.choices


@register.simple_tag
def chat_page_assets() -> str:
    """Chat pages reuse the record pages' components (mention chips, presence, menus);
    chat's own stylesheet and script are in every page's shell (the sidebar's rooms)."""
    return records_assets()
