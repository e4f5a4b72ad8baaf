"""The demo's automation: the six shipped templates (off, as a new workspace gets them) and
two rules that are on, with a run log made the real way. Both notify people: posting in
rooms would change the demo's chat, which demo/chat_rooms.py owns.

The rules are built through automation's services; their history comes from ordinary
edits through records' services (deals' amounts raised, prospects become customers),
which the bus listener queues as occurrences; the engine then handles them here, as the
worker would (``engine.dispatch`` creates each run once, so a worker meeting the queued jobs
later adds nothing).
"""

from django.db import transaction

from accounts.models import Department, Role, User
from automation import engine, rule_templates, services
from automation.models import Occurrence, Rule, RuleRun
from records.models import Client, Deal
from records.services import update_field

BIG_DEAL = 20_000
DEALS_RAISED = 3
CUSTOMERS_WON = 2


def seed_automation() -> dict[str, int]:
    """Write the demo's rules once (they are there when any rule is)."""
    if Rule.objects.exists() or not Deal.objects.exists():
        return {}
    admin = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    sales = Department.objects.get(slug="sales")
    for template in rule_templates.TEMPLATES:
        rule_templates.create(template, actor=admin)
    _big_deals_rule(_manager_of(sales), sales)
    _new_customers_rule(_manager_of(sales), sales)
    _make_history()
    return {
        "rules": Rule.objects.count(),
        "switched on": Rule.objects.filter(enabled=True).count(),
        "runs": RuleRun.objects.count(),
    }


def _manager_of(department: Department) -> User:
    return department.members.filter(role=Role.MANAGER, is_active=True).order_by("pk").first()


def _big_deals_rule(manager: User, sales: Department) -> Rule:
    return services.create_rule(
        actor=manager,
        name="Big deals: tell the sales managers",
        description=f"A deal whose amount reaches {BIG_DEAL:,} is worth a look from the managers.",
        department=sales,
        trigger="deal.field_changed",
        trigger_options={"fields": ["amount"]},
        conditions=[{"field": "deal.amount", "op": "gte", "value": str(BIG_DEAL)}],
        actions=[
            {
                "type": "notify",
                "to": "department_managers",
                "department": sales.pk,
                "text": "{deal.title} is now worth {deal.amount} ({deal.owner}).",
            }
        ],
        debounce_seconds=0,
        enabled=True,
    )


def _new_customers_rule(manager: User, sales: Department) -> Rule:
    return services.create_rule(
        actor=manager,
        name="New customer: tell the sales managers",
        description="A lead or prospect that becomes a customer is news for the sales managers.",
        department=sales,
        trigger="client.field_changed",
        trigger_options={"fields": ["lifecycle"]},
        conditions=[{"field": "client.lifecycle", "op": "eq", "value": "customer"}],
        actions=[
            {
                "type": "notify",
                "to": "department_managers",
                "department": sales.pk,
                "text": "{client.name} is a customer now ({client.owner}).",
            }
        ],
        enabled=True,
    )


def _make_history() -> None:
    """Ordinary edits the two rules hear (by the records' owners, who may make them),
    handled as the worker would."""
    deals = Deal.objects.filter(status=Deal.Status.OPEN, owner__is_active=True)
    for n, deal in enumerate(deals.select_related("owner").order_by("pk")[:DEALS_RAISED]):
        amount = BIG_DEAL * 2 if n < DEALS_RAISED - 1 else BIG_DEAL // 4  # one stays small
        _edit(deal.owner, deal, "amount", amount)
    prospects = Client.objects.filter(lifecycle=Client.Lifecycle.PROSPECT, owner__is_active=True)
    for client in prospects.select_related("owner").order_by("pk")[:CUSTOMERS_WON]:
        _edit(client.owner, client, "lifecycle", Client.Lifecycle.CUSTOMER)
    for occurrence in Occurrence.objects.filter(dispatched_at__isnull=True).order_by("pk"):
        engine.dispatch(occurrence.pk)


def _edit(actor: User, record, field: str, value) -> None:
    with transaction.atomic():
        update_field(
            actor=actor, obj=record, field=field, value=value, seen_value=getattr(record, field)
        )
