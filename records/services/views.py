"""Saved views: a person's named filters of a list page ("my open tickets")."""

from urllib.parse import parse_qsl

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.http import urlencode

from accounts.models import User
from records import policies
from records.models import SavedView
from records.selectors.lists import LISTS
from records.services.base import _require

NAME_MAX_LENGTH = SavedView._meta.get_field("name").max_length
QUERY_MAX_LENGTH = SavedView._meta.get_field("query").max_length


def clean_view_query(list_name: str, query: str) -> str:
    """``query`` kept to the list's own keys (filters, search, sort), empty values dropped.

    A saved view then never carries a page number, a CSRF token or anything a
    later version of the list would not understand.
    """
    keys = LISTS[list_name].keys
    pairs = parse_qsl((query or "").lstrip("?"), keep_blank_values=False)
    kept = {key: value.strip() for key, value in pairs if key in keys and value.strip()}
    return urlencode(sorted(kept.items()))


def save_view(*, actor: User, list_name: str, name: str, query: str) -> SavedView:
    """Save the current filters of ``list_name`` under ``name``, unique per person and list."""
    _require(policies.can_view(actor), "You cannot save views.")
    if list_name not in LISTS:
        raise ValidationError({"list": "Pick one of the lists: clients, contacts, deals, tickets."})
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Give the view a name."})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": f"Keep the name under {NAME_MAX_LENGTH} characters."})
    query = clean_view_query(list_name, query)
    if len(query) > QUERY_MAX_LENGTH:
        raise ValidationError("These filters are too long to save.")
    taken = SavedView.objects.filter(owner=actor, list=list_name, name__iexact=name)
    duplicate = ValidationError(
        {"name": f"You already have a view called “{name}” here; pick another name."},
        code="duplicate",
    )
    if taken.exists():
        raise duplicate
    view = SavedView(owner=actor, list=list_name, name=name, query=query)
    view.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError:  # the same name saved from another tab just now
        raise duplicate from None
    return view


def delete_view(*, actor: User, view: SavedView) -> None:
    """Delete one of the actor's own saved views."""
    if view.owner_id != actor.pk:
        raise PermissionDenied("You can only delete your own saved views.")
    view.delete()
