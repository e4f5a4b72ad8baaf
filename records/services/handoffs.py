"""Handoffs: a client (or its ticket) handed to another department or person, with context.

The path, all in the client's timeline: ``hand_off`` (a required note; the
person addressed, or the department's managers, are notified) →
``accept_handoff`` (a task for the acceptor; optionally the client's
ownership) or ``decline_handoff`` (a required reason; the sender is
notified) or ``withdraw_handoff`` (the sender takes it back). Unanswered, it
escalates: ``hand_off`` enqueues ``records.tasks.escalate_unanswered_handoff``
at ``escalate_after`` (created + ``RECORDS_HANDOFF_ESCALATE_AFTER``, 24 h by
default); when the job runs it
re-checks under a row lock that the handoff is still pending, then marks it
escalated and notifies the receiving department's managers (admins when it
has none). An escalated handoff can still be accepted or declined.

Answers lock the handoff row: of two accepts at once (a second click, two
tabs, two people) the second waits, then sees the first and is refused with
who accepted it; no second task is created.

Each step is also told in the client's chat room, as a system line posted in
the same transaction (records/services/chat_lines.py).
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from accounts.models import Department, Role, User
from accounts.services import notify
from records import events, policies
from records.models import (
    HANDOFF_ESCALATE_AFTER,
    HANDOFF_TASK_DUE,
    Client,
    Deal,
    Handoff,
    Priority,
    Ticket,
    TimelineEntry,
)
from records.services.base import (
    _audit,
    _display,
    _lock,
    _require,
    _topics,
    change_summary,
)
from records.services.chat_lines import first_line, literal, tell_client_room
from records.services.reminders import task_link
from records.services.tasks import _insert_task
from records.timeline import add_entry
from workspace.text import render_markdown


def handoff_link(handoff: Handoff) -> str:
    """The path of a handoff in the handoffs inbox (the views keep this path)."""
    return f"/handoffs/{handoff.pk}/"


def _managers(department: Department) -> list[User]:
    return list(
        User.objects.filter(departments=department, role=Role.MANAGER, is_active=True).order_by(
            "pk"
        )
    )


def _receivers(handoff: Handoff) -> list[User]:
    """Who is told of a new handoff: the person, else the managers, else the whole department."""
    if handoff.to_user is not None:
        return [handoff.to_user]
    return _managers(handoff.to_department) or list(
        User.objects.filter(departments=handoff.to_department, is_active=True).order_by("pk")
    )


def receiver_name(handoff: Handoff) -> str:
    """Who a handoff is for, as timelines and chat lines name them: "Ana (Sales)" or "Sales"."""
    if handoff.to_user is not None:
        return f"{handoff.to_user} ({handoff.to_department})"
    return str(handoff.to_department)


def _handoff_timeline(*, actor, handoff: Handoff, summary: str, **extra):
    return add_entry(
        actor=actor,
        client_id=handoff.client_id,
        kind=TimelineEntry.Kind.HANDOFF,
        summary=summary,
        obj=handoff,
        **extra,
    )


def _publish(handoff: Handoff, kind: str, *, actor, entry, **extra) -> None:
    events.publish(
        _topics(handoff),
        kind,
        {
            "id": handoff.pk,
            "client": handoff.client_id,
            "status": handoff.status,
            "actor": actor.pk if actor else None,
            "timeline": entry.pk,
            **extra,
        },
    )


def _from_department(actor: User, department: Department | None) -> Department | None:
    if department is not None:
        _require(
            actor.is_admin or policies.in_department(actor, department.pk),
            f"You are not in {department}.",
        )
        return department
    return actor.departments.order_by("pk").first()


def hand_off(
    *,
    actor: User,
    client: Client,
    note: str,
    to_department: Department,
    to_user: User | None = None,
    ticket: Ticket | None = None,
    deal: Deal | None = None,
    from_department: Department | None = None,
) -> Handoff:
    """Hand ``client`` (and optionally one of its tickets or deals) to a department or person.

    The note is required (what the client needs, what was promised).
    ``to_user`` must belong to ``to_department``. ``from_department``
    defaults to the actor's first department; analytics count handoffs by it.
    An open handoff of the same client (and ticket) to the same department
    is not repeated: a double submit gets a readable error.
    """
    _require(policies.can_hand_off(actor, client), "You cannot hand off this client.")
    if not isinstance(note, str) or not note.strip():
        raise ValidationError({"note": "Add a note: what the client needs and what was promised."})
    if to_user is not None:
        if to_user.pk == actor.pk:
            raise ValidationError({"to_user": "You cannot hand a client off to yourself."})
        if not to_user.is_active:
            raise ValidationError({"to_user": "Pick an active member of staff."})
        if not to_user.departments.filter(pk=to_department.pk).exists():
            raise ValidationError({"to_user": f"{to_user} is not in {to_department}."})
    source = _from_department(actor, from_department)
    with transaction.atomic():
        client = _lock(client)  # one handoff of a client at a time: no duplicates
        duplicate = (
            Handoff.objects.open()
            .filter(client=client, to_department=to_department, ticket=ticket)
            .select_related("from_user")
            .first()
        )
        if duplicate is not None:
            raise ValidationError(
                f"{client} was already handed to {to_department} by {duplicate.from_user} "
                "and is waiting for an answer.",
                code="duplicate",
            )
        created = timezone.now()
        handoff = Handoff(
            client=client,
            ticket=ticket,
            deal=deal,
            from_user=actor,
            from_department=source,
            to_department=to_department,
            to_user=to_user,
            note=note,
            note_html=render_markdown(note.strip()),
            created_at=created,
            escalate_after=created + HANDOFF_ESCALATE_AFTER,
        )
        handoff.full_clean()
        handoff.save()
        about = f" (ticket {ticket})" if ticket else f" (deal {deal})" if deal else ""
        entry = _handoff_timeline(
            actor=actor,
            handoff=handoff,
            summary=f"{actor} handed {client}{about} to {receiver_name(handoff)}",
            body=handoff.note,
            body_html=handoff.note_html,
        )
        _publish(handoff, "handoff.created", actor=actor, entry=entry)
        receiver = receiver_name(handoff)
        tell_client_room(
            client,
            f"{literal(f'{actor} handed this client{about} off to {receiver}')}: "
            f"{first_line(handoff.note)}",
        )
        for person in _receivers(handoff):
            notify(
                recipient=person,
                actor=actor,
                kind="handoff",
                text=f"{actor} handed {client}{about} to "
                f"{'you' if person.pk == handoff.to_user_id else handoff.to_department}.",
                link=handoff_link(handoff),
            )
        escalate_unanswered_handoff.using(run_after=handoff.escalate_after).enqueue(handoff.pk)
    return handoff


def _check_open(handoff: Handoff) -> None:
    """A readable refusal when the handoff was answered or withdrawn meanwhile."""
    if handoff.is_open:
        return
    when = (
        timezone.localtime(handoff.answered_at).strftime("%d %b %H:%M")
        if handoff.answered_at
        else ""
    )
    match handoff.status:
        case Handoff.Status.ACCEPTED:
            message = f"This handoff was already accepted by {handoff.answered_by} ({when})."
        case Handoff.Status.DECLINED:
            message = f"This handoff was already declined by {handoff.answered_by} ({when})."
        case _:
            message = f"{handoff.from_user} withdrew this handoff."
    raise ValidationError(message, code="already_answered")


def accept_handoff(
    *,
    actor: User,
    handoff: Handoff,
    assignee: User | None = None,
    take_ownership: bool = False,
) -> Handoff:
    """Accept a handoff: a task is created for ``assignee`` (default: the actor).

    The receiving department's managers and admins may pick another assignee
    from the department. With ``take_ownership`` the assignee becomes the
    client's owner (allowed when the sender or the actor could give the client
    away). Refused, with who and when, if it was answered meanwhile.
    """
    with transaction.atomic():
        handoff = _lock(handoff)
        _check_open(handoff)
        _require(
            policies.can_answer_handoff(actor, handoff),
            f"This handoff is for {receiver_name(handoff)}; you cannot answer it.",
        )
        assignee = assignee or actor
        if assignee.pk != actor.pk:
            _require(
                policies.can_assign_handoff(actor, handoff),
                "Only the department's managers can accept a handoff for someone else.",
            )
            if (
                not assignee.is_active
                or not assignee.departments.filter(pk=handoff.to_department_id).exists()
            ):
                raise ValidationError(
                    {"assignee": f"Pick an active member of {handoff.to_department}."}
                )
        client = handoff.client
        if take_ownership:
            _require(
                policies.can_take_client_on_handoff(actor, handoff),
                f"Only {client.owner}, the managers of {client.department} or an admin "
                "can give this client a new owner.",
            )
        moment = timezone.now()
        target = handoff.ticket or handoff.deal or client
        task = _insert_task(
            actor=actor,
            title=f"Handoff: {client}"[:200],
            description=f"From {handoff.from_user}:\n\n{handoff.note}",
            assignee=assignee,
            due_at=(moment + HANDOFF_TASK_DUE).replace(microsecond=0),
            priority=handoff.ticket.priority if handoff.ticket else Priority.NORMAL,
            **{type(target)._meta.model_name: target},
        )
        old = handoff.status
        handoff.status = Handoff.Status.ACCEPTED
        handoff.answered_by = actor
        handoff.answered_at = moment
        handoff.task = task
        handoff.full_clean()
        handoff.save()
        change = _audit(actor=actor, obj=handoff, field="status", old=old, new=handoff.status)
        for_whom = "" if assignee.pk == actor.pk else f" for {assignee}"
        entry = _handoff_timeline(
            actor=actor,
            handoff=handoff,
            summary=f"{actor} accepted the handoff of {client}{for_whom}",
            data={"change": change.pk, "task": task.pk},
        )
        owner_change = None
        if take_ownership and client.owner_id != assignee.pk:
            owner_change = _give_client(actor, client, assignee)
        _publish(
            handoff,
            "handoff.accepted",
            actor=actor,
            entry=entry,
            task=task.pk,
            assignee=assignee.pk,
            owner_change=owner_change,
        )
        tell_client_room(
            client,
            literal(f"{actor} accepted the handoff from {handoff.from_user}{for_whom}."),
        )
        notify(
            recipient=handoff.from_user,
            actor=actor,
            kind="handoff-accepted",
            text=f"{actor} accepted your handoff of {client}{for_whom}.",
            link=handoff_link(handoff),
        )
        if assignee.pk != actor.pk:
            notify(
                recipient=assignee,
                actor=actor,
                kind="task-assigned",
                text=f"{actor} accepted the handoff of {client} for you: “{task}”.",
                link=task_link(task),
            )
    return handoff


def _give_client(actor: User, client: Client, owner: User) -> int:
    """Make ``owner`` the client's owner (audit, timeline, client page); returns the change id."""
    client = _lock(client)
    old = client.owner_id
    client.owner = owner
    client.updated_at = timezone.now()
    client.full_clean()
    client.save()
    change = _audit(actor=actor, obj=client, field="owner", old=old, new=owner.pk)
    entry = add_entry(
        actor=actor,
        client_id=client.pk,
        kind=TimelineEntry.Kind.FIELD,
        summary=change_summary(actor, client, "owner", change),
        data={"model": "client", "id": client.pk, "change": change.pk},
    )
    events.publish(
        _topics(client),
        "client.updated",
        {
            "id": client.pk,
            "field": "owner",
            "value": owner.pk,
            "display": _display(client, "owner", owner.pk),
            "actor": actor.pk,
            "change": change.pk,
            "timeline": entry.pk,
        },
    )
    return change.pk


def decline_handoff(*, actor: User, handoff: Handoff, reason: str) -> Handoff:
    """Decline a handoff with a reason (required); the sender is notified with it."""
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationError(
            {"reason": "Say why you decline, so the sender knows what to do next."}
        )
    with transaction.atomic():
        handoff = _lock(handoff)
        _check_open(handoff)
        _require(
            policies.can_answer_handoff(actor, handoff),
            f"This handoff is for {receiver_name(handoff)}; you cannot answer it.",
        )
        old = handoff.status
        handoff.status = Handoff.Status.DECLINED
        handoff.decline_reason = reason
        handoff.answered_by = actor
        handoff.answered_at = timezone.now()
        handoff.full_clean()
        handoff.save()
        change = _audit(actor=actor, obj=handoff, field="status", old=old, new=handoff.status)
        entry = _handoff_timeline(
            actor=actor,
            handoff=handoff,
            summary=f"{actor} declined the handoff of {handoff.client}",
            body=handoff.decline_reason,
            body_html=render_markdown(handoff.decline_reason),
            data={"change": change.pk},
        )
        _publish(handoff, "handoff.declined", actor=actor, entry=entry)
        tell_client_room(
            handoff.client,
            f"{literal(f'{actor} declined the handoff from {handoff.from_user}')}: "
            f"{first_line(handoff.decline_reason)}",
        )
        notify(
            recipient=handoff.from_user,
            actor=actor,
            kind="handoff-declined",
            text=f"{actor} declined your handoff of {handoff.client}: {handoff.decline_reason}",
            link=handoff_link(handoff),
        )
    return handoff


def withdraw_handoff(*, actor: User, handoff: Handoff) -> Handoff:
    """The sender takes back a handoff nobody answered yet."""
    with transaction.atomic():
        handoff = _lock(handoff)
        _require(policies.can_withdraw_handoff(actor, handoff), "Only its sender can withdraw it.")
        _check_open(handoff)
        old = handoff.status
        handoff.status = Handoff.Status.WITHDRAWN
        handoff.full_clean()
        handoff.save()
        change = _audit(actor=actor, obj=handoff, field="status", old=old, new=handoff.status)
        entry = _handoff_timeline(
            actor=actor,
            handoff=handoff,
            summary=f"{actor} withdrew the handoff of {handoff.client}",
            data={"change": change.pk},
        )
        _publish(handoff, "handoff.withdrawn", actor=actor, entry=entry)
        tell_client_room(
            handoff.client,
            literal(f"{actor} withdrew the handoff to {receiver_name(handoff)}."),
        )
        for person in _receivers(handoff):
            notify(
                recipient=person,
                actor=actor,
                kind="handoff-withdrawn",
                text=f"{actor} withdrew the handoff of {handoff.client}.",
                link=handoff_link(handoff),
            )
    return handoff


def escalate_handoff(*, handoff_id: int) -> Handoff | None:
    """Escalate a still-pending handoff whose time is up (run by the escalation job).

    Does nothing (returns None) when the handoff is gone, answered, withdrawn,
    already escalated, or not yet due. Notifies the receiving department's
    managers, or the admins when it has none.
    """
    with transaction.atomic():
        handoff = (
            Handoff.objects.select_for_update(of=("self",))
            .select_related("client", "to_department", "to_user")
            .filter(pk=handoff_id)
            .first()
        )
        moment = timezone.now()
        if (
            handoff is None
            or handoff.status != Handoff.Status.PENDING
            or handoff.escalate_after > moment
        ):
            return None
        handoff.status = Handoff.Status.ESCALATED
        handoff.escalated_at = moment
        handoff.full_clean()
        handoff.save()
        change = _audit(
            actor=None, obj=handoff, field="status", old=Handoff.Status.PENDING, new=handoff.status
        )
        waited = hours_text(moment - handoff.created_at)
        entry = _handoff_timeline(
            actor=None,
            handoff=handoff,
            summary=f"The handoff of {handoff.client} to {receiver_name(handoff)} went "
            f"unanswered for {waited} and was escalated to {handoff.to_department}'s managers",
            data={"change": change.pk},
        )
        _publish(handoff, "handoff.escalated", actor=None, entry=entry)
        tell_client_room(
            handoff.client,
            literal(
                f"The handoff to {receiver_name(handoff)} went unanswered for {waited} "
                f"and was escalated to {handoff.to_department}'s managers."
            ),
        )
        managers = _managers(handoff.to_department) or list(
            User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk")
        )
        for person in managers:
            notify(
                recipient=person,
                kind="handoff-escalated",
                text=f"Unanswered for {waited}: the handoff of {handoff.client} to "
                f"{receiver_name(handoff)}. Pick someone to take it.",
                link=handoff_link(handoff),
            )
    return handoff


@task
def escalate_unanswered_handoff(handoff_id: int) -> bool:
    """The job ``hand_off`` enqueues for the escalation time (run by ``manage.py run_worker``).

    Returns whether it escalated (False: answered, withdrawn or gone meanwhile).
    """
    return escalate_handoff(handoff_id=handoff_id) is not None


def hours_text(span: timedelta) -> str:
    """A wait in whole hours, at least one: "1 hour", "25 hours"."""
    hours = max(1, round(span.total_seconds() / 3600))
    return f"{hours} hour" if hours == 1 else f"{hours} hours"
