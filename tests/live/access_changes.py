"""Access changes made through the real services, for tests/live/test_revocation.py.

Each scenario's ``setup()`` seeds Hannah, who follows ``topic`` and is about
to lose access, and a colleague (``allowed``) who follows it too and keeps
access; it returns ``(people, topic, allowed, state)``. Its ``change(state)``
makes the access change through the real service (one commit), then
publishes one more event on the topic (another commit), as a colleague would
right after, and returns that topic.
"""

import uuid
from datetime import timedelta

from django.utils import timezone

from accounts import services as accounts
from accounts.models import Department, User
from calendar_app import services as calendar
from calendar_app.models import Event
from chat import services as chat
from chat.models import Room
from records import services as records
from records.models import Task
from tests.factories import UserFactory
from tests.live_helpers import session_cookie


def _person(name: str, *departments: str, role: str = "member") -> User:
    rows = [
        Department.objects.get_or_create(slug=slug, defaults={"name": slug.title()})[0]
        for slug in departments or ("sales",)
    ]
    return UserFactory(
        email=f"{name.lower()}.{uuid.uuid4().hex[:8]}@example.com",
        full_name=name,
        role=role,
        is_staff=role == "admin",
        departments=rows,
    )


def card(person: User) -> dict:
    """What a socket client needs to be ``person``."""
    return {"id": person.pk, "cookie": session_cookie(person)}


def _user(pk: int) -> User:
    return User.objects.get(pk=pk)


# --- Chat ----------------------------------------------------------------------------


def setup_private_room():
    ana, hannah = _person("Ana"), _person("Hannah")
    room = chat.create_room(actor=ana, name="Board", private=True, members=[hannah])
    state = {"room": room.pk, "owner": ana.pk, "hannah": hannah.pk}
    return {"ana": ana, "hannah": hannah}, room.topic, "ana", state


def change_room(state: dict, *, leaves: bool) -> str:
    room = Room.objects.get(pk=state["room"])
    owner, hannah = _user(state["owner"]), _user(state["hannah"])
    if leaves:  # from another of her tabs
        chat.leave_room(actor=hannah, room=room)
    else:
        chat.remove_member(actor=owner, room=room, person=hannah)
    chat.post_message(actor=owner, room=room, body="Posted after the change")
    return room.topic


# --- People: role, departments, deactivation -------------------------------------------


def setup_team_board():
    """Hannah manages Sales and follows its team task board (managers and admins only)."""
    admin, hannah, ben = (
        _person("Ada", role="admin"),
        _person("Hannah", role="manager"),
        _person("Ben"),
    )
    sales = Department.objects.get(slug="sales")
    state = {"admin": admin.pk, "hannah": hannah.pk, "ben": ben.pk, "sales": sales.pk}
    return {"ada": admin, "hannah": hannah}, f"tasks.{sales.pk}", "ada", state


def change_role(state: dict) -> str:
    admin = _user(state["admin"])
    accounts.set_role(actor=admin, person=_user(state["hannah"]), role="member")
    records.create_task(actor=admin, title="Call back", assignee=_user(state["ben"]))
    return f"tasks.{state['sales']}"


def setup_department_room():
    """Hannah is in Sales and Support and follows the Sales room."""
    admin, hannah, ben = (
        _person("Ada", role="admin"),
        _person("Hannah", "sales", "support"),
        _person("Ben"),
    )
    room = chat.open_department_room(department=Department.objects.get(slug="sales"))
    state = {"admin": admin.pk, "hannah": hannah.pk, "ben": ben.pk, "room": room.pk}
    return {"ben": ben, "hannah": hannah}, room.topic, "ben", state


def change_departments(state: dict) -> str:
    support = Department.objects.get(slug="support")
    admin, hannah = _user(state["admin"]), _user(state["hannah"])
    accounts.set_departments(actor=admin, person=hannah, departments=[support])
    room = Room.objects.get(pk=state["room"])
    chat.post_message(actor=_user(state["ben"]), room=room, body="Sales only")
    return room.topic


def setup_own_feed():
    admin, hannah = _person("Ada", role="admin"), _person("Hannah")
    state = {"admin": admin.pk, "hannah": hannah.pk}
    return {"ada": admin, "hannah": hannah}, f"user.{hannah.pk}", "ada", state


def change_active(state: dict) -> str:
    admin, hannah = _user(state["admin"]), _user(state["hannah"])
    accounts.set_active(actor=admin, person=hannah, active=False)
    accounts.notify(recipient=admin, kind="mention", text="After", link="/")
    return f"user.{admin.pk}"


# --- Records: a task given to someone else ---------------------------------------------


def setup_private_task():
    """An admin gave Hannah a task linked to no record: she and the admin see it."""
    admin, hannah = _person("Ada", role="admin"), _person("Hannah")
    task = records.create_task(actor=admin, title="Renewal", assignee=hannah)
    state = {"admin": admin.pk, "ben": _person("Ben").pk, "task": task.pk}
    return {"ada": admin, "hannah": hannah}, f"task.{task.pk}", "ada", state


def change_task(state: dict) -> str:
    admin, task = _user(state["admin"]), Task.objects.get(pk=state["task"])
    task = records.reassign_task(actor=admin, task=task, assignee=_user(state["ben"]))
    records.update_field(
        actor=admin, obj=task, field="title", value="Renewal (Ben)", seen_value=task.title
    )
    return f"task.{task.pk}"


# --- Calendar: a meeting made private, an attendee taken off ----------------------------


def setup_meeting(*, private: bool):
    """Ana's meeting with Ben; Hannah is invited too when it is private."""
    ana, ben, hannah = _person("Ana"), _person("Ben"), _person("Hannah")
    start = timezone.now().replace(microsecond=0) + timedelta(days=2)
    event = calendar.create_event(
        actor=ana,
        title="Pricing review",
        start=start,
        end=start + timedelta(hours=1),
        attendees=[ben, hannah] if private else [ben],
        visibility="private" if private else "normal",
        allow_double_booking=True,
    )
    state = {"organizer": ana.pk, "ben": ben.pk, "event": event.pk, "private": private}
    return {"ben": ben, "hannah": hannah}, f"calevent.{event.pk}", "ben", state


def change_meeting(state: dict) -> str:
    organizer, event = _user(state["organizer"]), Event.objects.get(pk=state["event"])
    if state["private"]:  # Hannah is taken off the private meeting
        changes = {"attendees": [_user(state["ben"])]}
    else:  # the meeting is made private
        changes = {"visibility": "private"}
    event = calendar.update_event(actor=organizer, event=event, changes=changes)
    calendar.update_event(actor=organizer, event=event, changes={"title": "Pricing (moved)"})
    return f"calevent.{event.pk}"


SCENARIOS = {
    "room-member-removed": (setup_private_room, lambda state: change_room(state, leaves=False)),
    "room-left": (setup_private_room, lambda state: change_room(state, leaves=True)),
    "role-changed": (setup_team_board, change_role),
    "departments-changed": (setup_department_room, change_departments),
    "task-reassigned": (setup_private_task, change_task),
    "meeting-made-private": (lambda: setup_meeting(private=False), change_meeting),
    "attendee-removed": (lambda: setup_meeting(private=True), change_meeting),
    "deactivated": (setup_own_feed, change_active),
}
