"""Chat reads shared by the pages, the live fragments and the socket."""

from django.db.models import Prefetch

from chat.models import Membership, Message, Reaction, Room


def _messages():
    return Message.objects.select_related("author", "room").prefetch_related(
        Prefetch("reactions", queryset=Reaction.objects.order_by("created_at", "id"))
    )


def message_for_display(message_id: int) -> Message | None:
    """One message with what its partial shows (author, reactions)."""
    return _messages().filter(pk=message_id).first()


def room_members(room: Room):
    """The people following the room (a department room: the department)."""
    if room.kind == Room.Kind.DEPARTMENT:
        return list(room.department.members.filter(is_active=True).order_by("full_name"))
    return [
        membership.user
        for membership in Membership.objects.filter(room=room, is_member=True)
        .select_related("user")
        .order_by("user__full_name")
    ]


def room_title(room: Room, viewer) -> str:
    """What the viewer calls the room: a direct message is named after the others in it."""
    if room.kind != Room.Kind.DIRECT:
        return str(room)
    others = [person for person in room_members(room) if person.pk != viewer.pk]
    return ", ".join(person.full_name or person.email for person in others) or "Just you"


def sidebar_entry(room: Room, viewer) -> dict:
    return {"room": room, "title": room_title(room, viewer), "unread": 0, "mentions": 0}
