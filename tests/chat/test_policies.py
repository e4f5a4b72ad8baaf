"""Chat policies: who sees and does what. Private rooms and DMs stay private in every path."""

import pytest
from channels.db import database_sync_to_async
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from chat import policies, services
from chat.models import Room
from tests.chat.factories import client_room, direct, group_room, post
from tests.factories import UserFactory
from tests.live_helpers import Socket

pytestmark = pytest.mark.django_db


def assert_invisible(person, room, message=None) -> None:
    """Every way in says "not found", exactly as for a room that does not exist."""
    assert not policies.can_view_room(person, room)
    assert not policies.can_post(person, room)
    assert not policies.can_join(person, room)
    assert not policies.can_follow_room(person, str(room.pk))
    assert room not in Room.objects.visible_to(person)
    assert person not in policies.readers(room)
    with pytest.raises(Http404) as hidden:
        policies.access_room(person, room.pk)
    with pytest.raises(Http404) as missing:
        policies.access_room(person, room.pk + 1000)
    assert str(hidden.value) == str(missing.value) == "No such room."
    if message is not None:
        assert not policies.can_react(person, message)
        with pytest.raises(Http404, match="No such message"):
            policies.access_message(person, message.pk)


def assert_visible(person, room, message=None) -> None:
    assert policies.can_view_room(person, room)
    assert policies.can_follow_room(person, str(room.pk))
    assert room in Room.objects.visible_to(person)
    assert person in policies.readers(room)
    assert policies.access_room(person, room.pk) == room
    if message is not None:
        assert policies.access_message(person, message.pk) == message


# --- Privacy --------------------------------------------------------------------------


@pytest.mark.parametrize("outsider", ["cy", "ada"])
@pytest.mark.parametrize("kind", ["dm", "private_room"])
def test_private_rooms_and_dms_are_invisible_to_non_members(request, ana, ben, outsider, kind):
    """Admins included: being an admin opens no private room and no DM."""
    room = request.getfixturevalue(kind)
    message = post(ana, room, "Just us")
    assert_invisible(request.getfixturevalue(outsider), room, message)
    for member in (ana, ben):
        assert_visible(member, room, message)
        assert policies.can_post(member, room)


def test_leaving_or_being_removed_ends_access(ana, ben, cy, private_room):
    message = post(ana, private_room)
    services.add_members(actor=ana, room=private_room, people=[cy])
    assert_visible(cy, private_room, message)
    services.leave_room(actor=ben, room=private_room)
    services.remove_member(actor=ana, room=private_room, person=cy)
    for person in (ben, cy):
        assert_invisible(person, Room.objects.get(pk=private_room.pk), message)


def test_open_rooms_are_open_to_all_staff_but_not_to_the_deactivated(ana, cy, ada, acme_room):
    public = group_room(ana, name="Everyone")
    for room in (acme_room, public):
        message = post(ana, room)
        for person in (cy, ada):
            assert_visible(person, room, message)
            assert policies.can_join(person, room)
    assert policies.can_post(cy, acme_room) and not policies.can_post(cy, public)
    cy.is_active = False
    cy.save()
    assert_invisible(cy, acme_room)
    assert Room.objects.visible_to(cy).count() == 0


def test_archived_rooms_are_invisible_to_everyone(ana, acme_room):
    Room.objects.filter(pk=acme_room.pk).update(archived_at=timezone.now())
    assert_invisible(ana, Room.objects.get(pk=acme_room.pk))


def test_department_rooms_belong_to_the_department(ana, cy, ada, sales, support):
    room = services.open_department_room(department=sales)
    message = post(ana, room)
    assert_visible(ana, room, message)
    assert policies.is_member(ana, room) and not policies.can_join(ana, room)
    for outsider in (cy, ada):
        assert_invisible(outsider, room, message)
    cy.departments.add(sales)
    cy = type(cy).objects.get(pk=cy.pk)  # department ids are remembered per instance
    assert_visible(cy, room, message)
    assert policies.can_post(cy, room)


def test_the_query_and_the_functions_agree(ana, ben, cy, ada, sales, support):
    """``visible_to`` and ``readers`` (search, sidebar, mentions) are ``can_view_room``."""
    gone = UserFactory(is_active=False, departments=[sales])
    people = [ana, ben, cy, ada, gone]
    left = group_room(ana, ben, cy, private=True, name="Left")
    services.leave_room(actor=cy, room=left)
    archived = group_room(ana, name="Old")
    Room.objects.filter(pk=archived.pk).update(archived_at=timezone.now())
    rooms = [
        client_room(ana),
        group_room(ana, name="Public"),
        group_room(ana, ben, private=True, name="Private"),
        direct(ana, ben),
        direct(ana, ben, cy),
        direct(ada, cy),
        services.open_department_room(department=sales),
        services.open_department_room(department=support),
        left,
        Room.objects.get(pk=archived.pk),
    ]
    for person in people:
        visible = set(Room.objects.visible_to(person))
        assert visible == {room for room in rooms if policies.can_view_room(person, room)}
    for room in rooms:
        readers = set(policies.readers(room))
        assert readers == {person for person in people if policies.can_view_room(person, room)}


# --- Rights ------------------------------------------------------------------------------


def test_who_moderates_and_manages_members(ana, ben, cy, ada, acme_room, public_room, private_room):
    # Owners of their group room.
    assert policies.can_manage_members(ana, public_room)
    assert policies.can_manage_members(ana, private_room)
    assert not policies.can_manage_members(ben, private_room)
    # Admins: in rooms they can see, never in a private room they are not in.
    assert policies.can_manage_members(ada, public_room)
    assert not policies.can_manage_members(ada, private_room)
    assert policies.can_moderate(ada, acme_room)
    assert not policies.can_manage_members(ada, acme_room)  # client rooms have no members list
    services.add_members(actor=ana, room=private_room, people=[ada])
    assert policies.can_manage_members(ada, Room.objects.get(pk=private_room.pk))
    # Nobody moderates a direct message, admins in it included.
    with_admin = direct(ada, ana)
    assert not policies.can_moderate(ada, with_admin)
    assert not policies.can_manage_members(ada, with_admin)
    assert not policies.can_moderate(cy, acme_room)


def test_message_rights(ana, ben, cy, ada, acme_room, public_room):
    mine = post(ana, acme_room)
    assert policies.can_edit_message(ana, mine) and policies.can_delete_message(ana, mine)
    assert not policies.can_edit_message(ben, mine) and not policies.can_delete_message(ben, mine)
    assert not policies.can_edit_message(ada, mine) and policies.can_delete_message(ada, mine)
    assert policies.can_react(cy, mine) and policies.can_highlight(cy, mine)
    in_group = post(ben, public_room)
    assert not policies.can_highlight(ben, in_group)  # only client rooms feed a timeline
    assert not policies.can_react(cy, in_group)  # not a member of the group room
    services.delete_message(actor=ana, message=mine)
    mine.refresh_from_db()
    for check in (
        policies.can_edit_message,
        policies.can_delete_message,
        policies.can_react,
        policies.can_highlight,
    ):
        assert not check(ana, mine)


def test_rooms_one_may_leave(ana, ben, dm, public_room, acme_room, sales):
    assert policies.can_leave(ben, public_room)
    assert not policies.can_leave(ben, dm)
    assert not policies.can_leave(ana, services.open_department_room(department=sales))
    assert not policies.can_leave(ana, acme_room)  # not following it
    services.join_room(actor=ana, room=acme_room)
    assert policies.can_leave(ana, acme_room)


@pytest.mark.parametrize(
    "pk", ["1.5", 1.5, True, "٣", "²", "-1", -1, 0, "", None, [1], {"pk": 1}, 10**30, "9" * 40]
)
def test_lookups_take_only_whole_ids(ana, acme_room, pk):
    post(ana, acme_room)
    with pytest.raises(Http404):
        policies.access_room(ana, pk)
    with pytest.raises(Http404):
        policies.access_message(ana, pk)
    if isinstance(pk, str):
        assert not policies.can_follow_room(ana, pk)


# --- The Django admin ---------------------------------------------------------------------


def test_the_admin_shows_no_private_room_or_message(client, ana, ben, acme_room, dm, private_room):
    shown = post(ana, acme_room, "Open to staff")
    hidden = [post(ana, dm, "Only us"), post(ana, private_room, "Secret plan")]
    superuser = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(superuser)

    rooms = client.get(reverse("admin:chat_room_changelist"))
    assert list(rooms.context["cl"].result_list) == [acme_room]
    messages = client.get(reverse("admin:chat_message_changelist"), {"q": "Secret"})
    assert list(messages.context["cl"].result_list) == []
    messages = client.get(reverse("admin:chat_message_changelist"))
    assert list(messages.context["cl"].result_list) == [shown]
    assert client.get(reverse("admin:chat_message_change", args=[shown.pk])).status_code == 200
    for message in hidden:
        page = client.get(reverse("admin:chat_message_change", args=[message.pk]))
        assert page.status_code == 302  # "does not exist", like a missing one
        room = client.get(reverse("admin:chat_room_change", args=[message.room_id]))
        assert room.status_code == 302
    # View-only: every change goes through the services.
    assert client.get(reverse("admin:chat_room_add")).status_code == 403
    page = client.post(reverse("admin:chat_message_delete", args=[shown.pk]), {"post": "yes"})
    assert page.status_code == 403


# --- The socket ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_the_socket_refuses_private_topics_to_non_members(hub, ana, ben, cy, ada):
    room = await database_sync_to_async(direct)(ana, ben)
    private = await database_sync_to_async(group_room)(ana, private=True, name="Secret")
    missing = f"room.{private.pk + 1000}"
    for outsider in (cy, ada):
        socket = await Socket.open(outsider)
        topics = {room.topic: None, private.topic: None, missing: None, "room.x": None}
        frames = await socket.subscribe(topics)
        assert {frame["topic"]: frame for frame in frames} == {
            topic: {
                "type": "live.error",
                "code": "forbidden",
                "message": "You cannot follow this topic.",
                "topic": topic,
            }
            for topic in topics
        }
        await socket.close()

    socket = await Socket.open(ben)
    frames = await socket.subscribe({room.topic: None})
    assert frames[-1]["type"] == "live.subscribed"
    await database_sync_to_async(post)(ana, room, "Hi Ben")
    frame = await socket.receive()
    assert (frame["topic"], frame["kind"]) == (room.topic, "chat.message.posted")
    await socket.close()
