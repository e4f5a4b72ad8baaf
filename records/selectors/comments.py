"""Comment threads as pages and live fragments show them (``{% comment_thread %}``).

A thread is read in two queries whatever its length: the comments with their
authors, and their mentions (to draw mention chips).
"""

import html
import re

from django.db.models import Prefetch
from django.utils.safestring import mark_safe

from accounts.models import User
from records.models import Comment

TARGETS = Comment.TARGETS
_TAG = re.compile(r"(<[^>]*>)")


def _comments():
    mentions = Prefetch("mentions", queryset=User.objects.only("pk", "full_name", "email"))
    return Comment.objects.select_related("author").prefetch_related(mentions)


def target_name(target) -> str:
    return type(target)._meta.model_name


def thread(target) -> list[Comment]:
    """Top-level comments, oldest first, each with ``thread_replies`` (one level: a
    reply to a reply is shown under its top-level comment)."""
    comments = list(_comments().filter(**{target_name(target): target}))
    by_id = {comment.pk: comment for comment in comments}
    roots = []
    for comment in comments:
        comment.thread_replies = []
    for comment in comments:
        root = comment
        while root.parent_id in by_id:
            root = by_id[root.parent_id]
        if root is comment:
            roots.append(comment)
        else:
            root.thread_replies.append(comment)
    return roots


def comment(pk: int) -> Comment | None:
    """One comment ready to render (author, mentions; no replies: they are drawn apart)."""
    found = _comments().filter(pk=pk).first()
    if found is not None:
        found.thread_replies = []
    return found


def root_id(comment: Comment) -> int:
    """The top-level comment a reply is shown under (replies are one level deep)."""
    while comment.parent_id is not None:
        comment = comment.parent
    return comment.pk


def chip_mentions(comment: Comment) -> str:
    """The comment's sanitized HTML with each mention of a mentioned person as a chip.

    Only text between tags is touched (never an attribute), and what is inserted
    is fixed markup around text the sanitizer already escaped.
    """
    names = set()
    for person in comment.mentions.all():
        if person.full_name:
            names.add(html.escape(person.full_name, quote=False))
        names.add(html.escape(person.email.split("@")[0], quote=False))
    if not names:
        return mark_safe(comment.body_html)  # noqa: S308 (sanitized by render_markdown)
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    mention = re.compile(rf"(?<![\w@])@({alternatives})(?![\w])", re.IGNORECASE)
    parts = _TAG.split(comment.body_html)
    for index in range(0, len(parts), 2):
        parts[index] = mention.sub(r'<span class="mention">@\1</span>', parts[index])
    return mark_safe("".join(parts))  # noqa: S308 (fixed markup around sanitized text)
