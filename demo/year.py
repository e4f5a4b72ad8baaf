"""The demo's year of teamwork: when handoffs were sent and tasks were due, and how they went.

demo/work.py turns these plans into rows (with the open handoffs and tasks of
the last days, which it plans itself). Over the year Support and Sales hand
clients to each other, more often since the new sales process
(demo/story.py); most handoffs are answered within hours, some declined, some
answered only after escalating; a deal follows many of Support's handoffs to
Sales within the 90 days the "Handoffs to deals" report counts. Tasks are due
all year, mostly done on time, late when Support fell behind after the
release, a few still open past due.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from demo import story
from records.models import HANDOFF_ESCALATE_AFTER, Client, Deal, Handoff, Task, Ticket

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
YEAR_HANDOFFS = 150
DEAL_LEADS = 45  # of them: Support handing a lead to Sales, followed by a deal
YEAR_TASKS = 240
SETTLED = 4  # days: the year's handoffs and tasks end where the open ones of work.py begin
STILL_OPEN = 0.08  # share of the tasks due in the last two months not done yet (overdue)
ANSWERED = {Handoff.Status.ACCEPTED: 80, Handoff.Status.DECLINED: 14, Handoff.Status.WITHDRAWN: 6}


@dataclass
class HandoffPlan:
    """When and how one demo handoff went: sent at ``created``, answered ``answer`` later."""

    number: int  # varies the sender, receiver, note and reason
    state: str
    client: Client
    created: datetime
    to_sales: bool = True
    ticket: Ticket | None = None
    answer: timedelta = HOUR
    escalated: bool = False


@dataclass
class TaskPlan:
    """When a demo task was created and due, and how it stands now."""

    due: datetime
    status: str = Task.Status.OPEN
    recurrence: str = Task.Recurrence.NONE
    completed: datetime | None = None
    created: datetime | None = None  # None: a few days before it is due
    target: object = None  # a client, deal or ticket (None: work.py picks one)


def completed_at(gen, created: datetime, due: datetime) -> datetime:
    """When a task was done: before it was due, or late in the story's share of tasks."""
    if gen.rng.random() < story.late_share(gen.month_of(due)):
        return min(due + gen.rng.uniform(2, 144) * HOUR, gen.now)
    return gen.between(created + (due - created) / 2, due)


# --- Handoffs ------------------------------------------------------------------------


def year_handoffs(gen, clients: list[Client], deals: list[Deal], tickets, first: int):
    """Plans of the year's answered handoffs, numbered from ``first``, oldest first."""
    tickets_of = {}
    for ticket in tickets:
        tickets_of.setdefault(ticket.client_id, []).append(ticket)
    plans = [_lead(gen, deal) for deal in _led_deals(gen, deals)]
    for _ in range(YEAR_HANDOFFS - len(plans)):
        created = gen.in_year(story.HANDOFF_VOLUME, low=SETTLED)
        client = gen.rng.choice([client for client in clients if client.created_at < created])
        plans.append(_plan(gen, client, created, to_sales=gen.rng.random() < 0.55))
    plans.sort(key=lambda plan: plan.created)
    for number, plan in enumerate(plans, start=first):
        plan.number = number
        plan.ticket = _recent_ticket(tickets_of.get(plan.client.pk, ()), plan.created)
    return plans


def _led_deals(gen, deals: list[Deal]) -> list[Deal]:
    """Deals opened in the year (not in the last days) that a handoff came before."""
    start, end = gen.now - 360 * DAY, gen.now - (SETTLED + 2) * DAY
    candidates = [
        deal for deal in deals if start < deal.created_at < end and deal.client_id not in gen.quiet
    ]
    return gen.rng.sample(candidates, min(DEAL_LEADS, len(candidates)))


def _lead(gen, deal: Deal) -> HandoffPlan:
    """Support hands the client to Sales a few days to two months before the deal."""
    created = deal.created_at - gen.rng.uniform(1, 60) * DAY
    created = max(created, deal.client.created_at, gen.now - 364 * DAY)
    plan = _plan(gen, deal.client, created, to_sales=True)
    if plan.state == Handoff.Status.WITHDRAWN:  # a deal came of it: it was taken up
        plan.state = Handoff.Status.ACCEPTED
    return plan


def _plan(gen, client: Client, created: datetime, to_sales: bool) -> HandoffPlan:
    rng = gen.rng
    state = rng.choices(list(ANSWERED), list(ANSWERED.values()))[0]
    escalated = state != Handoff.Status.WITHDRAWN and rng.random() < 0.1
    if escalated:
        answer = HANDOFF_ESCALATE_AFTER + rng.uniform(1, 20) * HOUR
    else:  # most within a few hours, some the next morning
        answer = rng.choice((rng.uniform(0.2, 3), rng.uniform(0.2, 3), rng.uniform(3, 20))) * HOUR
    return HandoffPlan(0, state, client, created, to_sales, None, answer, escalated)


def _recent_ticket(tickets, created: datetime) -> Ticket | None:
    """The client's ticket opened in the 30 days before the handoff, if any."""
    recent = [ticket for ticket in tickets if created - 30 * DAY <= ticket.created_at <= created]
    return recent[0] if recent else None


# --- Tasks ---------------------------------------------------------------------------


def year_tasks(gen, clients: list[Client]) -> list[TaskPlan]:
    """Plans of the year's tasks on clients: due all year, most done (see ``completed_at``)."""
    plans = []
    for _ in range(YEAR_TASKS):
        due = gen.in_year(story.ACTIVITY_VOLUME, low=SETTLED)
        created = due - gen.rng.uniform(1, 14) * DAY
        target = gen.rng.choice([client for client in clients if client.created_at < created])
        plans.append(_outcome(gen, TaskPlan(due, created=created, target=target)))
    return plans


def _outcome(gen, plan: TaskPlan) -> TaskPlan:
    """Done (on time or late), or, for a few due lately, still open and overdue now."""
    if plan.due > gen.now - 60 * DAY and gen.rng.random() < STILL_OPEN:
        plan.status = gen.rng.choice((Task.Status.OPEN, Task.Status.IN_PROGRESS))
    else:
        plan.status = Task.Status.DONE
        plan.completed = completed_at(gen, plan.created, plan.due)
    return plan
