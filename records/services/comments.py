"""Threaded comments on clients, deals, tickets and tasks; @mentions notify people."""

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.services import notify
from records import events, policies
from records.models import (
    SEND_ID_MAX_LENGTH,
    Comment,
    TimelineEntry,
)
from records.services.base import (
    _audit,
    _check_body,
    _lock,
    _require,
    _target_name,
    _topics,
    record_name,
)
from records.timeline import add_entry
from workspace.text import render_markdown

SEND_ID_RE = re.compile(rf"^[A-Za-z0-9_-]{{1,{SEND_ID_MAX_LENGTH}}}$")
MENTION_RE = re.compile(r"(?<![\w@])@([\w][\w.+'-]*(?:[ \t]+[\w][\w.'-]*){0,3})")

# --- Comments ------------------------------------------------------------------


def resolve_mentions(body: str) -> list[User]:
    """Active people named in ``body`` as ``@Full Name`` or ``@email-localpart``.

    For each ``@`` the longest matching name wins (``@Ana Lopez`` over ``@Ana``).
    """
    candidates: list[list[str]] = []
    for match in MENTION_RE.finditer(body):
        words = match.group(1).split()
        phrases = [" ".join(words[:n]).rstrip(".,;:!?'") for n in range(len(words), 0, -1)]
        candidates.append([phrase for phrase in phrases if phrase])
    if not candidates:
        return []
    query = Q()
    for phrases in candidates:
        for phrase in phrases:
            query |= Q(full_name__iexact=phrase)
            if " " not in phrase:
                query |= Q(email__istartswith=f"{phrase}@")
    people = list(User.objects.filter(query, is_active=True))
    found: dict[int, User] = {}
    for phrases in candidates:
        for phrase in phrases:  # longest first
            lowered = phrase.lower()
            person = next(
                (
                    p
                    for p in people
                    if p.full_name.lower() == lowered
                    or (" " not in phrase and p.email.lower().split("@")[0] == lowered)
                ),
                None,
            )
            if person:
                found.setdefault(person.pk, person)
                break
    return list(found.values())


def comment_link(comment: Comment) -> str:
    """A path to the comment on its record's page (the views keep these paths)."""
    name = _target_name(comment.target)
    return f"/{name}s/{comment.target.pk}/#comment-{comment.pk}"


def _notify_mentions(actor, comment: Comment, people) -> None:
    where = record_name(comment.target)
    for person in people:
        notify(
            recipient=person,
            actor=actor,
            kind="mention",
            text=f"{actor} mentioned you on {where}.",
            link=comment_link(comment),
        )


def _check_send_id(send_id) -> str | None:
    if send_id in (None, ""):
        return None
    if not isinstance(send_id, str) or not SEND_ID_RE.match(send_id):
        raise ValidationError(
            {"send_id": f"A post id is 1 to {SEND_ID_MAX_LENGTH} letters, digits, - or _."},
            code="bad_id",
        )
    return send_id


def _posted_before(actor: User, target, send_id: str | None) -> Comment | None:
    """The comment this post already made (a re-send), if any."""
    if send_id is None:
        return None
    posted = Comment.objects.filter(author=actor, send_id=send_id).first()
    if posted is not None and posted.target != target:
        raise ValidationError(
            {"send_id": "This post id was used on another record; make a new one."},
            code="bad_id",
        )
    return posted


def post_comment(
    *,
    actor: User,
    target,
    body: str,
    parent: Comment | None = None,
    send_id: str | None = None,
) -> Comment:
    """Comment on a client, deal, ticket or task (a reply when ``parent`` is given).

    Markdown is rendered and sanitized once, here; mentioned people are notified.
    The comment shows in its client's timeline; a comment on a task linked to
    no client has no timeline entry (``timeline`` is None in the event).

    A post carrying a ``send_id`` (made up by the browser) that its author used
    before returns the comment already posted with it, and publishes and
    notifies nothing: a post re-sent after a network failure never duplicates
    (the target's lock serializes two copies arriving at once).
    """
    name = _target_name(target)
    _require(policies.can_comment(actor, target), "You cannot comment here.")
    body = _check_body(body)
    send_id = _check_send_id(send_id)
    try:
        return _post_comment(actor, target, name, body, parent, send_id)
    except IntegrityError:  # the same id sent for two records at once
        posted = _posted_before(actor, target, send_id)
        if posted is None:
            raise
        return posted


def _post_comment(actor: User, target, name: str, body: str, parent, send_id) -> Comment:
    with transaction.atomic():
        target = _lock(target)
        posted = _posted_before(actor, target, send_id)
        if posted is not None:
            return posted
        if parent is not None:
            parent = _lock(parent)
            if parent.is_deleted:
                raise ValidationError({"parent": "That comment was deleted; reply to the thread."})
        comment = Comment(
            author=actor,
            parent=parent,
            send_id=send_id,
            body=body,
            body_html=render_markdown(body),
            **{name: target},
        )
        comment.full_clean()
        comment.save()
        mentioned = resolve_mentions(body)
        comment.mentions.set(mentioned)
        client_id = comment.target_client_id
        entry = client_id and add_entry(
            actor=actor,
            client_id=client_id,
            kind=TimelineEntry.Kind.COMMENT,
            summary=f"{actor} commented on {record_name(target)}",
            obj=comment,
        )
        events.publish(
            _topics(comment),
            "comment.posted",
            {
                "id": comment.pk,
                "target": name,
                "target_id": target.pk,
                "parent": parent.pk if parent else None,
                "author": actor.pk,
                "timeline": entry.pk if entry else None,
            },
        )
        _notify_mentions(actor, comment, mentioned)
    return comment


def edit_comment(*, actor: User, comment: Comment, body: str) -> Comment:
    """Change a comment's text (marked edited; the old text is kept in the audit)."""
    body = _check_body(body)
    with transaction.atomic():
        comment = _lock(comment)
        _require(policies.can_edit_comment(actor, comment), "Only its author can edit a comment.")
        old = comment.body
        if old == body:
            return comment
        before = set(comment.mentions.values_list("pk", flat=True))
        comment.body = body
        comment.body_html = render_markdown(body)
        comment.edited_at = timezone.now()
        comment.full_clean()
        comment.save()
        mentioned = resolve_mentions(body)
        comment.mentions.set(mentioned)
        _audit(actor=actor, obj=comment, field="body", old=old, new=body)
        events.publish(
            _topics(comment),
            "comment.edited",
            {"id": comment.pk, "author": comment.author_id, "actor": actor.pk},
        )
        _notify_mentions(actor, comment, [p for p in mentioned if p.pk not in before])
    return comment


def delete_comment(*, actor: User, comment: Comment) -> Comment:
    """Soft-delete a comment: shown as deleted, replies and history kept."""
    with transaction.atomic():
        comment = _lock(comment)
        _require(
            policies.can_delete_comment(actor, comment),
            "Only its author or an admin can delete a comment.",
        )
        if comment.is_deleted:
            return comment
        comment.deleted_at = timezone.now()
        comment.save(update_fields=["deleted_at"])
        _audit(actor=actor, obj=comment, field="deleted_at", old=None, new=comment.deleted_at)
        events.publish(
            _topics(comment),
            "comment.deleted",
            {"id": comment.pk, "author": comment.author_id, "actor": actor.pk},
        )
    return comment
