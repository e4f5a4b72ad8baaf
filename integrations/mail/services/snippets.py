"""Snippets: saved texts with merge fields, a person's own or (admins') shared ones.

Snippets are a person's tools, not client data: no timeline entry, and no live
event (no page but the owner's snippet list shows them).
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from integrations.mail import merge, policies
from integrations.mail.models import Snippet


def create_snippet(*, actor, name: str, subject: str = "", body: str, shared: bool = False):
    """A new snippet of ``actor``'s, or, ``shared`` (admins only), everyone's."""
    if shared and not actor.is_admin:
        raise PermissionDenied("Only admins share snippets with everyone.")
    snippet = Snippet(owner=None if shared else actor)
    return _save(actor, snippet, name=name, subject=subject, body=body)


def update_snippet(*, actor, snippet: Snippet, name: str, subject: str = "", body: str):
    return _save(actor, snippet, name=name, subject=subject, body=body)


def delete_snippet(*, actor, snippet: Snippet) -> None:
    if not policies.can_edit_snippet(actor, snippet):
        raise PermissionDenied("You cannot delete this snippet.")
    snippet.delete()


def _save(actor, snippet: Snippet, *, name: str, subject: str, body: str) -> Snippet:
    if snippet.pk is not None and not policies.can_edit_snippet(actor, snippet):
        raise PermissionDenied("You cannot change this snippet.")
    merge.check(subject=subject, body=body)
    snippet.name = " ".join((name or "").split())
    snippet.subject = " ".join((subject or "").split())
    snippet.body = (body or "").strip()
    snippet.updated_at = timezone.now()
    with transaction.atomic():
        snippet.full_clean()
        snippet.save()
    return snippet
