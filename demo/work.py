"""Demo tasks and handoffs for the book (``demo.book.seed_book``), written in bulk.

Managers give tasks to their people (overdue, due today, upcoming, in
progress, done, weekly recurring; some with checklists), each linked to a
client, deal or ticket; Sales and Support hand clients to each other, with a
handoff in every state (pending, escalated, accepted with its task, declined
with a reason, withdrawn). Those are the last days; the year before them
(handoffs answered, tasks done on time or late) is planned in demo/year.py.
Rows follow the services' shapes and write the timeline entries the services
would, in their words (bulk, for the reasons in demo/book.py).
"""

from datetime import timedelta

from accounts.models import Role, User
from demo.history import markdown
from demo.year import HandoffPlan, TaskPlan, completed_at, year_handoffs, year_tasks
from records.models import (
    HANDOFF_ESCALATE_AFTER,
    HANDOFF_TASK_DUE,
    ChecklistItem,
    Handoff,
    Task,
    TimelineEntry,
)
from records.services.handoffs import hours_text, receiver_name

Kind = TimelineEntry.Kind
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
TASKS_PER_TEAM = 36
TASK_TITLES = (
    "Call back about the renewal",
    "Send the onboarding pack",
    "Prepare the quarterly business review",
    "Check why the SLA was missed",
    "Follow up on the quote",
    "Update the contact list",
    "Book a product demo",
    "Confirm the invoice address",
    "Draft the expansion proposal",
    "Review open tickets with the client",
)
CHECKLIST = ("Read the history", "Call the main contact", "Write a summary", "Agree next steps")
# (due offset from now, status, recurrence) by kind of task, cycled through.
TASK_KINDS = (
    (-3 * DAY, Task.Status.OPEN, Task.Recurrence.NONE),  # overdue
    (-1 * DAY, Task.Status.IN_PROGRESS, Task.Recurrence.NONE),  # overdue, started
    (3 * HOUR, Task.Status.OPEN, Task.Recurrence.NONE),  # due today
    (4 * DAY, Task.Status.OPEN, Task.Recurrence.NONE),  # upcoming
    (9 * DAY, Task.Status.IN_PROGRESS, Task.Recurrence.NONE),  # upcoming, started
    (-5 * DAY, Task.Status.DONE, Task.Recurrence.NONE),  # done
    (2 * DAY, Task.Status.OPEN, Task.Recurrence.WEEKLY),  # recurring
)
HANDOFF_NOTES = (
    "Wants to add **15 seats** before the end of the quarter. I promised a quote by Friday.",
    "Asked about the *enterprise plan*: SSO and an SLA. Promised a call with sales this week.",
    "Billing question about the last invoice (double charge?). Promised an answer within 2 days.",
    "Keeps hitting the API rate limit; needs a technical contact. Promised a callback tomorrow.",
    "New CFO wants a review of the contract terms. Promised a meeting next week.",
)
DECLINE_REASONS = (
    "This is a billing question: please send it to Finance.",
    "They are on the old plan; the renewal is not due yet. Let's revisit in March.",
    "Already in touch with them about this; I'll keep you posted.",
    "Not ours: their contract is managed by the partner who resold it.",
)
# Handoff states, in order of age (the newest first).
HANDOFF_STATES = (
    Handoff.Status.PENDING,
    Handoff.Status.PENDING,
    Handoff.Status.PENDING,
    Handoff.Status.ESCALATED,
    Handoff.Status.ESCALATED,
    Handoff.Status.ACCEPTED,
    Handoff.Status.DECLINED,
    Handoff.Status.ACCEPTED,
    Handoff.Status.WITHDRAWN,
    Handoff.Status.DECLINED,
    Handoff.Status.ACCEPTED,
    Handoff.Status.WITHDRAWN,
)


def seed_work(gen, clients, deals, tickets) -> dict[str, int]:
    """Tasks (with checklists) and handoffs, their timeline entries in ``gen.history``: the
    open ones of the last days, and the year's (demo/year.py)."""
    teams = _teams(gen.staff)
    targets = _targets(gen, clients, deals, tickets)
    tasks = []
    for (manager, people), offset in zip(teams, (0, 1), strict=True):
        tasks += [
            _task(gen, number, manager, people, _now_task(gen, number), targets, offset)
            for number in range(TASKS_PER_TEAM)
        ]
    checklisted = len(tasks)
    tasks += [
        _task(gen, number, *teams[number % 2], plan)
        for number, plan in enumerate(year_tasks(gen, gen.lively(clients)))
    ]
    tasks = Task.objects.bulk_create(tasks)
    checklist = ChecklistItem.objects.bulk_create(
        [item for task in tasks[:checklisted:3] for item in _checklist(gen, task)]
    )
    for task in tasks:
        _task_entry(gen, task)
    plans = _now_handoffs(gen, clients, tickets)
    plans += year_handoffs(gen, gen.lively(clients), deals, tickets, first=len(plans))
    handoffs = _handoffs(gen, teams, plans)
    return {"tasks": len(tasks), "checklist items": len(checklist), "handoffs": len(handoffs)}


def _teams(staff) -> list[tuple[User, list[User]]]:
    """(manager, members) of Sales and of Support."""
    teams = []
    for people in (staff.sales, staff.support):
        managers = [person for person in people if person.role == Role.MANAGER] or people[:1]
        teams.append((managers[0], [person for person in people if person != managers[0]]))
    return teams


def _targets(gen, clients, deals, tickets) -> list:
    by_pk = {client.pk: client for client in clients}
    open_deals = [deal for deal in deals if deal.status == "open"]
    open_tickets = [ticket for ticket in tickets if ticket.status not in ("solved", "closed")]
    targets = gen.rng.sample(gen.lively(clients), 30) + gen.rng.sample(open_deals, 25)
    targets += gen.rng.sample(open_tickets, 25)
    for target in targets:
        if not hasattr(target, "domain"):
            target.client = by_pk[target.client_id]
    return targets


def _now_task(gen, number: int) -> TaskPlan:
    """One of ``TASK_KINDS`` in turn, due around now."""
    due_in, status, recurrence = TASK_KINDS[number % len(TASK_KINDS)]
    due = gen.now + due_in
    return TaskPlan(due, status, recurrence, due - 2 * HOUR if status == Task.Status.DONE else None)


def _task(gen, number, manager: User, people: list[User], plan: TaskPlan, targets=(), offset=0):
    """The task of ``plan``, linked to its target (or one of ``targets`` in turn)."""
    due, status = plan.due, plan.status
    created = plan.created or min(due, gen.now) - gen.rng.uniform(1, 6) * DAY
    target = plan.target or targets[(number * 2 + offset) % len(targets)]
    title = TASK_TITLES[number % len(TASK_TITLES)]
    return Task(
        title=title,
        description=f"{title} for {_client_of(target)}.",
        description_html=f"<p>{title} for {_client_of(target)}.</p>",
        assignee=people[number % len(people)] if number % 5 else manager,
        assigned_by=manager,
        due_at=due,
        priority=gen.rng.choice(("low", "normal", "normal", "high", "urgent")),
        status=status,
        recurrence=plan.recurrence,
        completed_at=plan.completed,
        created_at=created,
        updated_at=plan.completed or created,
        **{type(target)._meta.model_name: target},
    )


def _client_of(target):
    return target if hasattr(target, "domain") else target.client


def _checklist(gen, task: Task) -> list[ChecklistItem]:
    done = len(CHECKLIST) if task.status == Task.Status.DONE else gen.rng.randint(0, 2)
    return [
        ChecklistItem(
            task=task, text=text, done=order < done, order=order, created_at=task.created_at
        )
        for order, text in enumerate(CHECKLIST)
    ]


def _task_entry(gen, task: Task, summary: str = "") -> None:
    target = task.target
    client = _client_of(target)
    for_whom = "" if task.assignee_id == task.assigned_by_id else f" for {task.assignee}"
    gen.history.entry(
        client.pk,
        Kind.TASK,
        task.created_at,
        task.assigned_by,
        summary or f"{task.assigned_by} created task “{task}”{for_whom}",
        task=task,
        deal=task.deal,
        ticket=task.ticket,
    )


def _now_handoffs(gen, clients, tickets) -> list[HandoffPlan]:
    """One handoff per state in the last days, Support to Sales and back, on distinct
    clients; the older ones got answered."""
    ticket_of = {ticket.client_id: ticket for ticket in tickets}
    chosen = gen.rng.sample(gen.lively(clients), len(HANDOFF_STATES))
    plans = []
    for number, (state, client) in enumerate(zip(HANDOFF_STATES, chosen, strict=True)):
        created = gen.now - (number * 9 + gen.rng.uniform(1, 6)) * HOUR
        escalated = state == Handoff.Status.ESCALATED
        plans.append(
            HandoffPlan(
                number,
                state,
                client,
                created - HANDOFF_ESCALATE_AFTER if escalated else created,
                to_sales=number % 2 == 0,
                ticket=ticket_of.get(client.pk) if number % 3 == 0 else None,
                answer=gen.rng.uniform(1, 8) * HOUR,
                escalated=escalated,
            )
        )
    return plans


def _handoffs(gen, teams, plans: list[HandoffPlan]) -> list[Handoff]:
    """The planned handoffs, the tasks of the accepted ones, and their timeline entries."""
    handoffs = Handoff.objects.bulk_create([_handoff(gen, plan, teams) for plan in plans])
    accepted = [handoff for handoff in handoffs if handoff.status == Handoff.Status.ACCEPTED]
    tasks = Task.objects.bulk_create([_handoff_task(gen, handoff) for handoff in accepted])
    for handoff, task in zip(accepted, tasks, strict=True):
        handoff.task = task
    Handoff.objects.bulk_update(accepted, ["task"])
    for handoff in handoffs:
        _handoff_entries(gen, handoff)
    return handoffs


def _handoff(gen, plan: HandoffPlan, teams) -> Handoff:
    """The handoff of ``plan``: its number picks the people, the note and the reason."""
    (_, senders), (manager, receivers) = teams[::-1] if plan.to_sales else teams
    source, target = ("support", "sales") if plan.to_sales else ("sales", "support")
    number, state, created = plan.number, plan.state, plan.created
    answered = state in (Handoff.Status.ACCEPTED, Handoff.Status.DECLINED)
    note = HANDOFF_NOTES[number % len(HANDOFF_NOTES)]
    return Handoff(
        client=plan.client,
        ticket=plan.ticket,
        from_user=senders[number % len(senders)],
        from_department=gen.staff.departments[source],
        to_department=gen.staff.departments[target],
        to_user=receivers[number % len(receivers)] if number % 4 == 1 else None,
        note=note,
        note_html=markdown(note),
        status=state,
        decline_reason=DECLINE_REASONS[number % len(DECLINE_REASONS)]
        if state == Handoff.Status.DECLINED
        else "",
        answered_by=(receivers[number % len(receivers)] if number % 3 else manager)
        if answered
        else None,
        answered_at=created + plan.answer if answered else None,
        created_at=created,
        escalate_after=created + HANDOFF_ESCALATE_AFTER,
        escalated_at=created + HANDOFF_ESCALATE_AFTER if plan.escalated else None,
    )


def _handoff_task(gen, handoff: Handoff) -> Task:
    """The task accepting creates (as accept_handoff makes it); the older ones are done."""
    due = handoff.answered_at + HANDOFF_TASK_DUE
    done = due < gen.now - 2 * DAY
    completed = completed_at(gen, handoff.answered_at, due) if done else None
    return Task(
        title=f"Handoff: {handoff.client}"[:200],
        description=f"From {handoff.from_user}:\n\n{handoff.note}",
        description_html=handoff.note_html,
        assignee=handoff.answered_by,
        assigned_by=handoff.answered_by,
        due_at=due,
        priority=handoff.ticket.priority if handoff.ticket else "normal",
        status=Task.Status.DONE if done else Task.Status.OPEN,
        completed_at=completed,
        created_at=handoff.answered_at,
        updated_at=completed or handoff.answered_at,
        **({"ticket": handoff.ticket} if handoff.ticket else {"client": handoff.client}),
    )


def _handoff_entries(gen, handoff: Handoff) -> None:
    """The timeline entries the services write: handed, escalated, answered or withdrawn."""
    client = handoff.client
    receiver = receiver_name(handoff)
    about = f" (ticket {handoff.ticket})" if handoff.ticket else ""
    entry = gen.history.entry
    links = {"handoff": handoff, "ticket": handoff.ticket}
    entry(
        client.pk,
        Kind.HANDOFF,
        handoff.created_at,
        handoff.from_user,
        f"{handoff.from_user} handed {client}{about} to {receiver}",
        body=handoff.note,
        body_html=handoff.note_html,
        **links,
    )
    if handoff.escalated_at:
        entry(
            client.pk,
            Kind.HANDOFF,
            handoff.escalated_at,
            None,
            f"The handoff of {client} to {receiver} went unanswered for "
            f"{hours_text(handoff.escalated_at - handoff.created_at)} and was escalated to "
            f"{handoff.to_department}'s managers",
            **links,
        )
    match handoff.status:
        case Handoff.Status.ACCEPTED:
            summary = f"{handoff.answered_by} accepted the handoff of {client}"
            entry(
                client.pk,
                Kind.HANDOFF,
                handoff.answered_at,
                handoff.answered_by,
                summary,
                data={"task": handoff.task.pk},
                **links,
            )
            _task_entry(gen, handoff.task)
        case Handoff.Status.DECLINED:
            summary = f"{handoff.answered_by} declined the handoff of {client}"
            entry(
                client.pk,
                Kind.HANDOFF,
                handoff.answered_at,
                handoff.answered_by,
                summary,
                body=handoff.decline_reason,
                body_html=markdown(handoff.decline_reason),
                **links,
            )
        case Handoff.Status.WITHDRAWN:
            summary = f"{handoff.from_user} withdrew the handoff of {client}"
            entry(
                client.pk,
                Kind.HANDOFF,
                handoff.created_at + 2 * HOUR,
                handoff.from_user,
                summary,
                **links,
            )
