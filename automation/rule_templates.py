"""The six rules a workspace starts from ("Start from a template"), created switched off.

A template is a rule's settings with the people and departments it names filled in
when it is taken: the department it belongs to (its natural one, e.g. Support, if the
person taking it may manage that; else their own; an admin's otherwise
workspace-wide), the person taking it as owner and fallback. The new rule is off: its
taker reads it in the builder, adjusts it (a country, a person) and switches it on.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import Http404

from accounts.models import Department, User
from automation import policies, services
from automation.models import Rule


@dataclass(frozen=True)
class Picks:
    """What a template's settings may name: the rule's department, the taker, and the
    departments by slug (None when the workspace has no such department)."""

    department: Department | None
    actor: User
    by_slug: dict[str, Department]

    def department_id(self, slug: str) -> int | None:
        found = self.by_slug.get(slug) or self.department
        return found.pk if found else None


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    description: str
    home: str  # the slug of the department it naturally belongs to
    icon: str
    build: Callable[[Picks], dict]


def _route_web_leads(picks: Picks) -> dict:
    return {
        "trigger": "form.submitted",
        "conditions": [{"field": "client.country", "op": "eq", "value": "NL"}],
        "actions": [
            {
                "type": "assign_owner",
                "strategy": "round_robin",
                "department": picks.department_id("sales"),
                "fallback": picks.actor.pk,
            }
        ],
    }


def _urgent_ticket(picks: Picks) -> dict:
    return {
        "trigger": "ticket.created",
        "conditions": [{"field": "ticket.priority", "op": "eq", "value": "urgent"}],
        "actions": [
            {
                "type": "notify",
                "to": "department_managers",
                "department": picks.department_id("support"),
                "text": "Urgent ticket from {client.name}: {ticket.subject}",
            },
            {
                "type": "post_in_room",
                "room": "client",
                "text": "An urgent ticket was opened: {ticket.subject}",
            },
        ],
    }


def _won_deal_onboarding(picks: Picks) -> dict:
    return {
        "trigger": "deal.won",
        "actions": [
            {
                "type": "hand_off",
                "department": picks.department_id("support"),
                "note": "{deal.title} was won: please onboard {client.name}.",
            },
            {
                "type": "create_task",
                "title": "Onboard {client.name}",
                "due_in_hours": 48,
                "checklist": ["Kick-off call", "Accounts set up", "Training booked"],
                "assignee": "owner",
            },
        ],
    }


def _handoff_unanswered(picks: Picks) -> dict:
    return {
        "trigger": "handoff.unanswered",
        "trigger_options": {"hours": 24},
        "actions": [
            {
                "type": "notify",
                "to": "department_managers",
                "department": picks.department_id("support"),
                "text": "A handoff of {client.name} has waited 24 hours for an answer.",
            }
        ],
    }


def _overdue_task(picks: Picks) -> dict:
    return {
        "trigger": "task.overdue",
        "actions": [
            {
                "type": "notify",
                "to": "assignee_manager",
                "text": "Overdue: “{task.title}”.",
            }
        ],
    }


def _low_csat(picks: Picks) -> dict:
    return {
        "trigger": "ticket.rated",
        "conditions": [{"field": "ticket.satisfaction", "op": "lte", "value": 2}],
        "actions": [
            {
                "type": "create_task",
                "title": "Call {client.name} about a low satisfaction rating",
                "due_in_hours": 24,
                "checklist": ["Read the ticket", "Call the contact", "Note what went wrong"],
                "assignee": "client_owner",
            }
        ],
    }


TEMPLATES: tuple[Template, ...] = (
    Template(
        "route-web-leads",
        "Route web leads by country",
        "A lead from a web form goes to the sales team in turn (round-robin); change the "
        "country and the team for each market.",
        "sales",
        "globe2",
        _route_web_leads,
    ),
    Template(
        "urgent-ticket",
        "Urgent ticket: tell the support managers",
        "A new urgent ticket notifies the support managers and posts in the client's room.",
        "support",
        "exclamation-octagon",
        _urgent_ticket,
    ),
    Template(
        "won-deal-onboarding",
        "Won deal: onboarding by Support",
        "A won deal hands the client to Support for onboarding, with a task and its checklist.",
        "sales",
        "trophy",
        _won_deal_onboarding,
    ),
    Template(
        "handoff-unanswered",
        "Escalate a handoff unanswered for 24 hours",
        "A handoff nobody accepted or declined for 24 hours notifies the managers.",
        "support",
        "hourglass-split",
        _handoff_unanswered,
    ),
    Template(
        "overdue-task",
        "Overdue task: tell the assignee's manager",
        "A task past its due time notifies the managers of its assignee's departments.",
        "",
        "alarm",
        _overdue_task,
    ),
    Template(
        "low-csat",
        "Low satisfaction: a task for the account owner",
        "A ticket rated 2 or less creates a follow-up task for the client's owner.",
        "support",
        "emoji-frown",
        _low_csat,
    ),
)
_BY_KEY = {template.key: template for template in TEMPLATES}


def get(key: str) -> Template:
    template = _BY_KEY.get(key)
    if template is None:
        raise Http404("No such template.")
    return template


def create(template: Template, *, actor: User) -> Rule:
    """The template as a new rule of ``actor``'s, switched off."""
    picks = Picks(_home(template, actor), actor, {d.slug: d for d in Department.objects.all()})
    settings = template.build(picks)
    return services.create_rule(
        actor=actor,
        name=template.name,
        description=template.description,
        department=picks.department,
        owner=actor,
        enabled=False,
        **settings,
    )


def _home(template: Template, actor: User) -> Department | None:
    """The department the new rule belongs to: the template's own if ``actor`` may
    manage its rules, else the first one ``actor`` manages; an admin's otherwise none
    (workspace-wide)."""
    own = Department.objects.filter(slug=template.home).first() if template.home else None
    if own is not None and policies.can_manage_in(actor, own.pk):
        return own
    if actor.is_admin:
        return None
    return actor.departments.order_by("name").first()
