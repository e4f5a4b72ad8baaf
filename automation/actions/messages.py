"""Actions that tell people: a notification under their bell, a line in a chat room.

Both are written as the automation, labelled with the rule ("Automation: <rule>: …"),
so nobody mistakes them for something a colleague typed:

* a notification has no actor (the rule's owner is told too when they are a
  recipient: a rule "tell me when…" is common);
* a client room gets a system line (``chat.services.post_system_message``) after
  checking the owner may post there; a department's room takes the line from the
  owner (``chat.services.post_message``), so only a member may post in it.
"""

from django.core.exceptions import PermissionDenied

from accounts.models import Role, User
from accounts.services import notify
from automation import assignment, templating
from automation.actions import base
from automation.actions.base import ActionType, Param
from chat import policies as chat_policies
from chat.models import Room
from chat.services import open_client_room, open_department_room, post_message, post_system_message
from workspace.acting import AUTOMATION_PREFIX

LABEL_NOTIFY = "Notify people"
LABEL_POST = "Post in a room"
NOTIFICATION_KIND = "automation"

RECIPIENTS = {
    "people": "Named people",
    "department": "A department",
    "department_managers": "A department's managers",
    "owner": "The record's owner or assignee",
    "assignee_manager": "The owner's or assignee's managers",
}
NEEDS_DEPARTMENT = ("department", "department_managers")
NEEDS_RECORD = ("owner", "assignee_manager")
ROOMS = {"client": "The client's room", "department": "A department's room"}


def label(ctx) -> str:
    return f"{AUTOMATION_PREFIX}{ctx.rule.name}"


def labelled(ctx, text: str) -> str:
    return f"{label(ctx)}: {text}"


# --- Notify -----------------------------------------------------------------------------


def clean_notify(config: dict, trigger_key: str, owner) -> dict:
    to = base.one_of(config, "to", RECIPIENTS, "whom to notify")
    if to in NEEDS_RECORD:
        base.require_record(trigger_key, f"Notifying “{RECIPIENTS[to].lower()}”")
    cleaned = {"to": to, "text": base.text(config, "text", trigger_key, max_length=250)}
    if to == "people":
        cleaned["people"] = base.active_people(config.get("people"), "whom to notify")
    if to in NEEDS_DEPARTMENT:
        cleaned["department"] = base.existing_department(config.get("department"))
    return cleaned


def describe_notify(config: dict, ctx) -> str:
    people, text = _recipients(config, ctx), templating.render(config["text"], ctx)
    return f"Would notify {_names(people)}: {text}"


def perform_notify(config: dict, ctx) -> str:
    people, text = _recipients(config, ctx), templating.render(config["text"], ctx)
    told = [
        person
        for person in people
        if notify(
            recipient=person, kind=NOTIFICATION_KIND, text=labelled(ctx, text), link=base.link(ctx)
        )
    ]
    return f"Notified {_names(told)}: {text}"


def _recipients(config: dict, ctx) -> list[User]:
    """The active people this notification goes to (the run log says when none)."""
    what = f"“{LABEL_NOTIFY}”"
    match config["to"]:
        case "people":
            found = [assignment.person(pk, what) for pk in config["people"]]
        case "department":
            team = assignment.department(config["department"], what)
            found = list(team.members.filter(is_active=True).order_by("pk"))
        case "department_managers":
            found = _managers([assignment.department(config["department"], what).pk])
        case "owner":
            owner = assignment.subject_owner(ctx.subject_type, base.record(ctx))
            found = [owner] if owner is not None and owner.is_active else []
        case _:  # assignee_manager
            found = _managers_of(assignment.subject_owner(ctx.subject_type, base.record(ctx)))
    return found


def _managers(department_ids) -> list[User]:
    return list(
        User.objects.filter(departments__in=department_ids, role=Role.MANAGER, is_active=True)
        .distinct()
        .order_by("pk")
    )


def _managers_of(person: User | None) -> list[User]:
    """The managers of ``person``'s departments, ``person`` aside."""
    if person is None:
        return []
    departments = person.departments.values_list("pk", flat=True)
    return [manager for manager in _managers(departments) if manager.pk != person.pk]


def _names(people) -> str:
    return ", ".join(str(person) for person in people) or "nobody (no active recipient)"


# --- Post in a room ---------------------------------------------------------------------


def clean_post(config: dict, trigger_key: str, owner) -> dict:
    room = base.one_of(config, "room", ROOMS, "the room")
    if room == "client":
        base.require_record(trigger_key, "Posting in the client's room")
    cleaned = {"room": room, "text": base.text(config, "text", trigger_key, max_length=2000)}
    if room == "department":
        cleaned["department"] = base.existing_department(config.get("department"))
    return cleaned


def describe_post(config: dict, ctx) -> str:
    room = _room(config, ctx, create=False)
    _check_may_post(ctx, room)
    return f"Would post in {_room_name(room)}: {templating.render(config['text'], ctx)}"


def perform_post(config: dict, ctx) -> str:
    room = _room(config, ctx, create=True)
    _check_may_post(ctx, room)
    text = templating.render(config["text"], ctx)
    if config["room"] == "client":
        post_system_message(client=room.client, text=f"**{label(ctx)}:** {text}")
    else:
        post_message(actor=ctx.actor, room=room, body=f"_{label(ctx)}:_ {text}")
    return f"Posted in {_room_name(room)}: {text}"


def _room(config: dict, ctx, *, create: bool) -> Room:
    """The room to post in; made on first use when ``create``, else (a dry run) the room
    as it would be, unsaved."""
    if config["room"] == "client":
        base.record(ctx)
        client = base.client(ctx)
        if create:
            return open_client_room(client=client)
        unique = {"kind": Room.Kind.CLIENT, "client": client}
    else:
        department = assignment.department(config["department"], f"“{LABEL_POST}”")
        if create:
            return open_department_room(department=department)
        unique = {"kind": Room.Kind.DEPARTMENT, "department": department}
    return Room.objects.filter(**unique).first() or Room(**unique)


def _check_may_post(ctx, room) -> None:
    if not chat_policies.can_post(ctx.actor, room):
        raise PermissionDenied(f"{ctx.actor} may not post in {_room_name(room)}.")


def _room_name(room) -> str:
    return f"the room of {room.client or room.department}"


ACTIONS = (
    ActionType(
        key="notify",
        label=LABEL_NOTIFY,
        clean=clean_notify,
        describe=describe_notify,
        perform=perform_notify,
        params=(
            Param("to", "Notify", "choice", required=True, choices=tuple(RECIPIENTS.items())),
            Param("people", "People", "people", shown_when=("to", ("people",))),
            Param("department", "Department", "department", shown_when=("to", NEEDS_DEPARTMENT)),
            Param("text", "Text", "text", required=True, help="e.g. {ticket.subject} is urgent"),
        ),
    ),
    ActionType(
        key="post_in_room",
        label=LABEL_POST,
        clean=clean_post,
        describe=describe_post,
        perform=perform_post,
        params=(
            Param("room", "Room", "choice", required=True, choices=tuple(ROOMS.items())),
            Param("department", "Department", "department", shown_when=("room", ("department",))),
            Param("text", "Text", "text", required=True),
        ),
    ),
)
