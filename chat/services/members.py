"""Who is in a room: joining and leaving, adding and removing people, owners.

A room with people in it always keeps an owner.
"""

import functools

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from chat import events, policies
from chat.models import Membership, Room
from chat.services.base import _active_people, _lock_room, _require, _welcome


def _set_membership(room: Room, person: User, *, member: bool) -> bool:
    """Make ``person`` follow the room or not (keeping their read state); True if it changed."""
    membership, created = Membership.objects.get_or_create(
        room=room, user=person, defaults={"is_member": member}
    )
    if not created and membership.is_member != member:
        membership.is_member = member
        membership.role = Membership.Role.MEMBER
        membership.joined_at = timezone.now()
        membership.save(update_fields=["is_member", "role", "joined_at"])
        return True
    return created and member


def _member_row(room: Room, person: User) -> Membership:
    membership = Membership.objects.filter(room=room, user=person, is_member=True).first()
    if membership is None:
        raise ValidationError(f"{person} is not in this room.")
    return membership


def _is_last_owner(membership: Membership) -> bool:
    return (
        membership.role == Membership.Role.OWNER
        and not Membership.objects.filter(
            room_id=membership.room_id, is_member=True, role=Membership.Role.OWNER
        )
        .exclude(pk=membership.pk)
        .exists()
    )


def _changes_members(service):
    """The caller's room instance forgets the memberships policies looked up on it: they
    change, and a later check on the same instance (join, then post) must see the change."""

    @functools.wraps(service)
    def wrapper(*, room: Room, **kwargs):
        try:
            return service(room=room, **kwargs)
        finally:
            policies.forget_memberships(room)

    return wrapper


@_changes_members
def join_room(*, actor: User, room: Room) -> Room:
    """Follow a client room or a public group room: it shows in the sidebar with unread counts.

    Joining a room one already follows changes nothing (a second click).
    """
    with transaction.atomic():
        room = _lock_room(room)
        if policies.is_member(actor, room):
            return room
        _require(policies.can_join(actor, room), "You cannot join this room.")
        _set_membership(room, actor, member=True)
        events.members_changed(room, actor=actor, joined=[actor])
        events.room_added(room, [actor])
    return room


@_changes_members
def leave_room(*, actor: User, room: Room) -> Room:
    """Stop following a room. A private room cannot be read again without an invitation.

    When the last owner leaves, the longest-standing member becomes owner, so a
    room with people in it always has someone who manages it. Leaving a room
    one is not in changes nothing (a second click).
    """
    with transaction.atomic():
        room = _lock_room(room)
        if not policies.is_member(actor, room):
            return room
        _require(policies.can_leave(actor, room), "You cannot leave this room.")
        membership = Membership.objects.get(room=room, user=actor)
        if _is_last_owner(membership):
            heir = (
                Membership.objects.filter(room=room, is_member=True)
                .exclude(pk=membership.pk)
                .order_by("joined_at", "pk")
                .first()
            )
            if heir is not None:
                Membership.objects.filter(pk=heir.pk).update(role=Membership.Role.OWNER)
        _set_membership(room, actor, member=False)
        events.members_changed(room, actor=actor, left=[actor])
        events.room_removed(room, [actor])
    return room


@_changes_members
def add_members(*, actor: User, room: Room, people) -> list[User]:
    """Add people to a group room (its owners and admins); returns those newly added."""
    _require(policies.can_manage_members(actor, room), "Only the room's owners can add people.")
    people = _active_people(people)
    with transaction.atomic():
        room = _lock_room(room)
        added = [person for person in people if _set_membership(room, person, member=True)]
        if added:
            events.members_changed(room, actor=actor, joined=added)
            _welcome(actor, room, added)
    return added


@_changes_members
def remove_member(*, actor: User, room: Room, person: User) -> Room:
    """Take someone out of a group room (its owners and admins); a room keeps one owner."""
    _require(policies.can_manage_members(actor, room), "Only the room's owners can remove people.")
    with transaction.atomic():
        room = _lock_room(room)
        if _is_last_owner(_member_row(room, person)):
            raise ValidationError("A room keeps at least one owner; make someone else owner first.")
        _set_membership(room, person, member=False)
        events.members_changed(room, actor=actor, left=[person])
        events.room_removed(room, [person])
    return room


@_changes_members
def set_member_role(*, actor: User, room: Room, person: User, role: str) -> Membership:
    """Make a member of a group room an owner, or an owner a member again (owners and admins)."""
    _require(policies.can_manage_members(actor, room), "Only the room's owners can change roles.")
    if role not in Membership.Role.values:
        raise ValidationError({"role": "Pick owner or member."})
    with transaction.atomic():
        room = _lock_room(room)
        membership = _member_row(room, person)
        if membership.role == role:
            return membership
        if _is_last_owner(membership):
            raise ValidationError("A room keeps at least one owner; make someone else owner first.")
        membership.role = role
        membership.save(update_fields=["role"])
        events.members_changed(room, actor=actor)
    return membership
