"""The four lists: clients, contacts, deals and tickets, each one ListSpec."""

from datetime import timedelta

from django.db.models import (
    Case,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from accounts.models import Department
from records.models import Client, Contact, Deal, Pipeline, Priority, Stage, Ticket
from records.selectors import search
from records.selectors.lists.filters import (
    AmountFilter,
    ChoiceFilter,
    Option,
    PersonFilter,
    RelatedFilter,
    TagFilter,
    choice_options,
    matches,
    period_options,
)
from records.selectors.lists.state import Column, ListSpec

SLA_DUE_SOON = timedelta(hours=4)


def _rank(field_name: str, values) -> Case:
    """An ordinal for a choice field, so sorting follows the workflow, not the alphabet."""
    return Case(
        *(When(**{field_name: value}, then=Value(rank)) for rank, value in enumerate(values)),
        output_field=IntegerField(),
    )


OPEN_STATUSES = (Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.PENDING)


def _clients() -> QuerySet:
    """Clients with ``open_deals`` and ``open_tickets``: the counters the services keep on
    each row (records/services/counts.py), which the sorts by them walk an index of."""
    return Client.objects.select_related("owner", "department").annotate(
        open_deals=F("open_deal_count"), open_tickets=F("open_ticket_count")
    )


def _contacts() -> QuerySet:
    return Contact.objects.select_related("client")


def _deals() -> QuerySet:
    """Deals with ``is_overdue``: still open after their expected close date."""
    overdue = Q(status=Deal.Status.OPEN, expected_close__lt=timezone.localdate())
    return Deal.objects.select_related("client", "stage", "owner").annotate(
        is_overdue=Case(When(overdue, then=Value(True)), default=Value(False))
    )


def _tickets() -> QuerySet:
    """Tickets with ``sla_state``: "breached", "due_soon" or "" (resolved or not due yet)."""
    now = timezone.now()
    unresolved = Q(status__in=OPEN_STATUSES)
    return Ticket.objects.select_related("client", "assignee").annotate(
        sla_state=Case(
            When(unresolved & Q(sla_due__lt=now), then=Value("breached")),
            When(unresolved & Q(sla_due__lt=now + SLA_DUE_SOON), then=Value("due_soon")),
            default=Value(""),
        )
    )


def _departments() -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in Department.objects.values_list("pk", "name")]


def _pipelines() -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in Pipeline.objects.values_list("pk", "name")]


def _stages() -> list[tuple[str, str]]:
    stages = Stage.objects.select_related("pipeline").order_by("pipeline__name", "order", "pk")
    several = len({stage.pipeline_id for stage in stages}) > 1
    return [
        (str(stage.pk), f"{stage.pipeline.name}: {stage.name}" if several else stage.name)
        for stage in stages
    ]


def _sla_options() -> tuple[Option, ...]:
    """Unresolved tickets past their SLA, or due within SLA_DUE_SOON."""
    unresolved = Q(status__in=OPEN_STATUSES)

    def breached(viewer):
        return unresolved & Q(sla_due__lt=timezone.now())

    def due_soon(viewer):
        now = timezone.now()
        return unresolved & Q(sla_due__gte=now, sla_due__lt=now + SLA_DUE_SOON)

    return (Option("breached", "Breached", breached), Option("due_soon", "Due soon", due_soon))


CLIENTS = ListSpec(
    name="clients",
    title="Clients",
    noun="client",
    icon="building",
    queryset=_clients,
    filters=(
        ChoiceFilter(
            "lifecycle", "Lifecycle", choice_options("lifecycle", Client.Lifecycle.choices)
        ),
        PersonFilter("owner", "Owner", field_name="owner"),
        RelatedFilter("department", "Department", field_name="department", choices=_departments),
        ChoiceFilter("source", "Source", choice_options("source", Client.Source.choices)),
        TagFilter("tag", "Tag"),
        ChoiceFilter(
            "created",
            "Created",
            period_options(
                "created_at",
                ("today", "this_week", "this_month", "last_month", "this_quarter", "this_year"),
                dates=False,
            ),
        ),
        ChoiceFilter(
            "archived",
            "Show",
            (
                Option("archived", "Archived", matches(archived=True, merged_into__isnull=True)),
                Option("merged", "Merged away", matches(merged_into__isnull=False)),
                Option("all", "All, incl. archived and merged", matches()),
            ),
            absent=matches(archived=False, merged_into__isnull=True),
        ),
    ),
    columns=(
        Column("Client", "name", "col-main"),
        Column("Lifecycle", "lifecycle"),
        Column("Owner", "owner"),
        Column("Department", "department"),
        Column("Tags", None, "col-wide"),
        Column("Open deals", "deals", "text-end"),
        Column("Open tickets", "tickets", "text-end"),
        Column("Updated", "updated", "text-end"),
    ),
    sorts={
        "name": ("name",),
        "lifecycle": (_rank("lifecycle", Client.Lifecycle.values),),
        "owner": ("owner__full_name",),
        "department": ("department__name",),
        "deals": ("open_deal_count",),
        "tickets": ("open_ticket_count",),
        "updated": ("updated_at",),
    },
    default_sort="name",
    search_fields=(),
    search_hint="Search name, domain, industry",
    suggestions=(
        ("Sales leads this month", "lifecycle=lead&created=this_month"),
        ("My clients", "owner=mine"),
    ),
    new_url="records:client_new",
    searchable=search.CLIENTS,
)

CONTACTS = ListSpec(
    name="contacts",
    title="Contacts",
    noun="contact",
    icon="person-lines-fill",
    queryset=_contacts,
    filters=(
        RelatedFilter("client", "Client", field_name="client", model=Client),
        ChoiceFilter(
            "email",
            "Email",
            (
                Option("yes", "Has an email", lambda viewer: ~Q(emails=[])),
                Option("no", "No email", matches(emails=[])),
            ),
        ),
        ChoiceFilter(
            "channel",
            "Preferred channel",
            choice_options("preferred_channel", Contact.Channel.choices),
        ),
    ),
    columns=(
        Column("Name", "name", "col-main"),
        Column("Title", "title", "col-aside"),
        Column("Client", "client"),
        Column("Email"),
        Column("Phone"),
        Column("Prefers", "channel"),
    ),
    sorts={
        "name": ("name",),
        "title": ("title",),
        "client": ("client__name",),
        "channel": ("preferred_channel",),
    },
    default_sort="name",
    search_fields=("name", "title", "emails", "phones", "client__name"),
    search_hint="Search name, title, email, phone, client",
    suggestions=(
        ("With an email", "email=yes"),
        ("Prefer a call", "channel=phone"),
    ),
)

DEALS = ListSpec(
    name="deals",
    title="Deals",
    noun="deal",
    icon="cash-coin",
    queryset=_deals,
    filters=(
        RelatedFilter("pipeline", "Pipeline", field_name="pipeline", choices=_pipelines),
        RelatedFilter("stage", "Stage", field_name="stage", choices=_stages),
        ChoiceFilter("status", "Status", choice_options("status", Deal.Status.choices)),
        PersonFilter("owner", "Owner", field_name="owner"),
        ChoiceFilter(
            "close",
            "Expected close",
            period_options(
                "expected_close",
                ("overdue", "this_month", "next_month", "this_quarter", "this_year"),
                dates=True,
            ),
        ),
        AmountFilter("amount_min", "Min amount", lookup="gte"),
        AmountFilter("amount_max", "Max amount", lookup="lte"),
    ),
    columns=(
        Column("Deal", "title", "col-main"),
        Column("Client", "client"),
        Column("Stage", "stage"),
        Column("Amount", "amount", "text-end"),
        Column("Owner", "owner"),
        Column("Expected close", "close"),
        Column("Status", "status"),
    ),
    sorts={
        "title": ("title",),
        "client": ("client__name",),
        "stage": ("pipeline__name", "stage__order"),
        "amount": ("amount",),
        "owner": ("owner__full_name",),
        "close": ("expected_close",),
        "status": (_rank("status", Deal.Status.values),),
        "updated": ("updated_at",),
    },
    default_sort="-updated",
    search_fields=("title", "client__name"),
    search_hint="Search deal or client",
    suggestions=(
        ("My open deals", "owner=mine&status=open"),
        ("Closing this month", "status=open&close=this_month"),
    ),
    new_url="records:deal_new",
)

TICKETS = ListSpec(
    name="tickets",
    title="Tickets",
    noun="ticket",
    icon="life-preserver",
    queryset=_tickets,
    filters=(
        ChoiceFilter(
            "status",
            "Status",
            (
                # "open" is the group (links and saved views say status=open); the one
                # status of that name has a value of its own, or it could not be chosen.
                Option("open", "Open (new, open, pending)", matches(status__in=OPEN_STATUSES)),
                *(
                    Option("open-only", "Open only", matches(status=value))
                    if value == Ticket.Status.OPEN
                    else Option(value, str(label), matches(status=value))
                    for value, label in Ticket.Status.choices
                ),
            ),
        ),
        ChoiceFilter("priority", "Priority", choice_options("priority", Priority.choices)),
        PersonFilter("assignee", "Assignee", field_name="assignee", unassigned=True),
        ChoiceFilter("sla", "SLA", _sla_options()),
        ChoiceFilter("channel", "Channel", choice_options("channel", Ticket.Channel.choices)),
    ),
    columns=(
        Column("Subject", "subject", "col-main"),
        Column("Client", "client"),
        Column("Status", "status"),
        Column("Priority", "priority"),
        Column("Assignee", "assignee"),
        Column("SLA due", "sla"),
        Column("Channel", "channel", "col-wide"),
        Column("Updated", "updated", "text-end"),
    ),
    sorts={
        "subject": ("subject",),
        "client": ("client__name",),
        "status": (_rank("status", Ticket.Status.values),),
        "priority": (_rank("priority", Priority.values),),
        "assignee": ("assignee__full_name",),
        "sla": ("sla_due",),
        "channel": ("channel",),
        "updated": ("updated_at",),
    },
    default_sort="-updated",
    search_fields=("subject", "client__name"),
    search_hint="Search subject or client",
    suggestions=(
        ("My open tickets", "assignee=mine&status=open"),
        ("Breached SLA", "sla=breached"),
    ),
    new_url="records:ticket_new",
)

LISTS: dict[str, ListSpec] = {spec.name: spec for spec in (CLIENTS, CONTACTS, DEALS, TICKETS)}
BY_NOUN: dict[str, ListSpec] = {spec.noun: spec for spec in LISTS.values()}
