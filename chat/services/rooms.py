"""Opening rooms: a client's or a department's (made on first use), a group room,
and the direct-message room of a set of people."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Department, User
from chat import events, policies
from chat.models import ROOM_NAME_MAX_LENGTH, Membership, Room
from chat.services.base import _active_people, _check_text, _require, _welcome
from records.models import Client

DESCRIPTION_MAX_LENGTH = Room._meta.get_field("description").max_length
DIRECT_MAX_PEOPLE = 9


def _open(**unique) -> Room:
    """The room with these unique fields, created on first use (whoever asks first)."""
    room = Room.objects.filter(**unique).first()
    if room is not None:
        return room
    try:
        with transaction.atomic():
            room = Room(**unique)
            room.full_clean()
            room.save()
    except (IntegrityError, ValidationError):  # created meanwhile by someone else
        room = Room.objects.filter(**unique).first()
        if room is None:
            raise
    return room


def open_client_room(*, client: Client) -> Room:
    """The client's room, created on first use (one per client, open to all staff)."""
    return _open(kind=Room.Kind.CLIENT, client=client)


def open_department_room(*, department: Department) -> Room:
    """The department's room, created on first use (its members are the department's)."""
    return _open(kind=Room.Kind.DEPARTMENT, department=department)


def create_room(
    *, actor: User, name: str, description: str = "", private: bool = False, members=()
) -> Room:
    """A group room; the actor owns it. ``members``: people (or ids) to add at once."""
    _require(policies.can_view(actor), "You cannot create rooms.")
    name = " ".join(_check_text(name, "name", "a name", ROOM_NAME_MAX_LENGTH).split())
    description = " ".join(
        _check_text(
            description, "description", "the description", DESCRIPTION_MAX_LENGTH, required=False
        ).split()
    )
    people = [p for p in _active_people(members) if p.pk != actor.pk]
    with transaction.atomic():
        room = Room(
            kind=Room.Kind.GROUP,
            name=name,
            description=description,
            is_private=bool(private),
            created_by=actor,
        )
        room.full_clean()
        room.save()
        Membership.objects.create(room=room, user=actor, role=Membership.Role.OWNER)
        Membership.objects.bulk_create(Membership(room=room, user=person) for person in people)
        events.room_added(room, [actor])
        _welcome(actor, room, people)
    return room


def open_direct(*, actor: User, people) -> Room:
    """The direct-message room of the actor and ``people`` (2 to 10 people), made on first use.

    One room per set of people, whoever opens it and in whatever order.
    """
    _require(policies.can_view(actor), "You cannot send direct messages.")
    others = [p for p in _active_people(people) if p.pk != actor.pk]
    if not others:
        raise ValidationError({"members": "Pick at least one other person."})
    if len(others) > DIRECT_MAX_PEOPLE:
        raise ValidationError(
            {
                "members": f"Direct messages have at most {DIRECT_MAX_PEOPLE + 1} people; "
                "create a private room for more."
            }
        )
    everyone = sorted([actor, *others], key=lambda person: person.pk)
    key = "-".join(str(person.pk) for person in everyone)
    room = Room.objects.filter(direct_key=key).first()
    if room is not None:
        return room
    try:
        with transaction.atomic():
            room = Room(kind=Room.Kind.DIRECT, is_private=True, direct_key=key, created_by=actor)
            room.full_clean()
            room.save()
            Membership.objects.bulk_create(Membership(room=room, user=p) for p in everyone)
            events.room_added(room, everyone)
    except (IntegrityError, ValidationError):  # the same people opened it at the same moment
        room = Room.objects.filter(direct_key=key).first()
        if room is None:
            raise
    return room
