"""Conditions: what a rule may test per trigger, how wrong input is refused, and what each
operator family finds on real records (custom fields, owner, department, segment, time
of day, working hours), and what a condition naming something gone does."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from automation import conditions
from automation.context import RunContext
from automation.errors import BrokenReference
from automation.models import Rule
from marketing.models import Segment, SegmentMember
from records import services
from records.models import CustomField
from tests.factories import DepartmentFactory, UserFactory
from tests.records import conftest as records_fixtures
from workspace import moments

pytestmark = pytest.mark.django_db

acme, deal, defaults = records_fixtures.acme, records_fixtures.deal, records_fixtures.defaults
pipeline, stages, ticket = (
    records_fixtures.pipeline,
    records_fixtures.stages,
    records_fixtures.ticket,
)

AMOUNT_OVER_10K = {"field": "deal.amount", "op": "gt", "value": "10000"}


def rule_on(trigger: str, *conditions_, match="all", department=None) -> Rule:
    return Rule(trigger=trigger, conditions=list(conditions_), match=match, department=department)


def context(rule: Rule, subject_type: str, subject, *, now=None) -> RunContext:
    return RunContext(
        rule=rule,
        trigger_kind=rule.trigger,
        payload={},
        subject_type=subject_type,
        subject=subject,
        client=getattr(subject, "client", subject if subject_type == "client" else None),
        now=now or timezone.now(),
    )


def check(trigger: str, subject_type: str, subject, *conditions_, match="all", **context_args):
    """(passed, report) of these conditions (checked first, as the rule form does)."""
    rule = rule_on(trigger, *conditions.clean(trigger, list(conditions_)), match=match)
    rule.department = context_args.pop("department", None)
    rule.department_id = getattr(rule.department, "pk", None)
    return conditions.evaluate(rule, context(rule, subject_type, subject, **context_args))


@pytest.fixture
def region(db):
    return CustomField.objects.create(key="region", label="Region")


@pytest.fixture
def tier(db):
    return CustomField.objects.create(
        key="tier", label="Tier", type=CustomField.Type.CHOICE, choices=["Gold", "Silver"]
    )


# --- What can be tested -------------------------------------------------------------------


def test_field_choices_offer_the_record_its_client_custom_fields_and_the_context(region):
    offered = {key: (label, kind) for key, label, kind in conditions.field_choices("deal.won")}
    assert offered["deal.amount"] == ("Deal amount", "number")
    assert offered["deal.stage"][1] == offered["client.country"][1] == "choice"
    assert offered["deal.expected_close"][1] == "date"
    assert offered["client.tags"][1] == "list"
    assert offered["client.custom.region"] == ("Client Region", "text")
    assert offered["client.department"][1] == "department"
    assert {"owner", "department", "segment", "time", "working_hours"} <= offered.keys()
    assert "ticket.priority" not in offered


def test_a_schedule_can_only_test_the_time_and_an_unknown_trigger_nothing():
    assert conditions.field_choices("schedule") == [("time", "Time of day", "time")]
    assert conditions.field_choices("deal.exploded") == []


def test_every_type_offered_has_operators():
    for trigger in ("client.created", "deal.won", "ticket.rated", "task.overdue", "handoff.sent"):
        for key, _label, kind in conditions.field_choices(trigger):
            assert conditions.OPERATORS[kind], key


def test_value_choices_for_the_form(stages, sales, support_manager):
    assert ("urgent", "Urgent") in conditions.value_choices("ticket.created", "ticket.priority")
    assert (str(stages["Won"].pk), "Sales: Won") in conditions.value_choices(
        "deal.won", "deal.stage"
    )
    assert (str(support_manager.pk), support_manager.full_name) in conditions.value_choices(
        "deal.won", "owner"
    )
    assert (str(sales.pk), "Sales") in conditions.value_choices("deal.won", "department")
    assert conditions.value_choices("deal.won", "deal.amount") == []
    assert conditions.value_choices("deal.won", "deal.colour") == []


# --- Checking what a person built ---------------------------------------------------------


def test_clean_normalizes_values(member, sales):
    segment = Segment.objects.create(name="VIP", kind=Segment.Kind.STATIC)
    cleaned = conditions.clean(
        "deal.won",
        [
            {"field": "deal.amount", "op": "gte", "value": " 10000 "},
            {"field": "client.country", "op": "in", "value": ["DE", "AT", ""]},
            {"field": "owner", "op": "is", "value": str(member.pk)},
            {"field": "department", "op": "is_not", "value": sales.pk},
            {"field": "segment", "op": "in", "value": str(segment.pk)},
            {"field": "time", "op": "between", "value": ["9:00", "17:30"]},
            {"field": "working_hours", "op": "within", "value": "owner"},
            {"field": "deal.expected_close", "op": "is_empty", "value": "ignored"},
        ],
    )
    assert cleaned == [
        {"field": "deal.amount", "op": "gte", "value": "10000"},
        {"field": "client.country", "op": "in", "value": ["DE", "AT"]},
        {"field": "owner", "op": "is", "value": member.pk},
        {"field": "department", "op": "is_not", "value": sales.pk},
        {"field": "segment", "op": "in", "value": segment.pk},
        {"field": "time", "op": "between", "value": ["09:00", "17:30"]},
        {"field": "working_hours", "op": "within", "value": "owner"},
        {"field": "deal.expected_close", "op": "is_empty", "value": None},
    ]
    assert conditions.clean("deal.won", None) == []


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (
            {"field": "deal.amount", "op": "gt", "value": "abc"},
            "Condition 2: “abc” is not a number for Deal amount.",
        ),
        (
            {"field": "deal.amount", "op": "contains", "value": "1"},
            "Condition 2: “contains” is not a way to test Deal amount.",
        ),
        (
            {"field": "ticket.priority", "op": "eq", "value": "high"},
            "Condition 2: “ticket.priority” is not something this trigger's rules can test.",
        ),
        (
            {"field": "deal.expected_close", "op": "lt", "value": "next week"},
            "Condition 2: “next week” is not a date (YYYY-MM-DD) for Deal expected close.",
        ),
        (
            {"field": "client.country", "op": "eq", "value": "Narnia"},
            "Condition 2: “Narnia” is not one of the values of Client country.",
        ),
        (
            {"field": "client.country", "op": "in", "value": []},
            "Condition 2: choose at least one value of Client country.",
        ),
        (
            {"field": "deal.title", "op": "eq", "value": ""},
            "Condition 2: give a value for Deal title.",
        ),
        (
            {"field": "owner", "op": "is", "value": 999999},
            "Condition 2: there is no person #999999.",
        ),
        (
            {"field": "owner", "op": "is", "value": "dana"},
            "Condition 2: “dana” is not a person for Owner.",
        ),
        (
            {"field": "department", "op": "is", "value": 999999},
            "Condition 2: there is no department #999999.",
        ),
        (
            {"field": "segment", "op": "in", "value": 999999},
            "Condition 2: there is no segment #999999.",
        ),
        (
            {"field": "time", "op": "between", "value": "09:00"},
            "Condition 2: give two times, like 09:00 and 17:00, for Time of day.",
        ),
        (
            {"field": "time", "op": "between", "value": ["09:00", "9:00"]},
            "Condition 2: Time of day: the two times must differ.",
        ),
        (
            {"field": "time", "op": "between", "value": ["09:00", "noon"]},
            "Condition 2: Time of day: “noon” is not a time like 09:00.",
        ),
        (
            {"field": "working_hours", "op": "within", "value": "ceo"},
            "Condition 2: working hours are the owner's: choose “owner”.",
        ),
        ("amount > 10", "Condition 2: choose a field, an operator and a value."),
    ],
)
def test_wrong_conditions_are_refused_naming_the_condition(condition, message):
    with pytest.raises(ValidationError) as refused:
        conditions.clean("deal.won", [AMOUNT_OVER_10K, condition])
    assert refused.value.messages == [message]


def test_every_problem_is_listed_at_once():
    with pytest.raises(ValidationError) as refused:
        conditions.clean(
            "deal.won",
            [{"field": "deal.amount", "op": "gt", "value": "x"}, {"field": "nope", "op": "eq"}],
        )
    assert [m[:12] for m in refused.value.messages] == ["Condition 1:", "Condition 2:"]
    with pytest.raises(ValidationError, match="Conditions must be a list"):
        conditions.clean("deal.won", {"field": "deal.amount"})


def test_a_deactivated_person_cannot_be_named(member):
    member.is_active = False
    member.save(update_fields=["is_active"])
    with pytest.raises(ValidationError, match="has left or was deactivated"):
        conditions.clean("deal.won", [{"field": "owner", "op": "is", "value": member.pk}])


def test_a_custom_choice_field_takes_its_own_choices(tier):
    condition = {"field": "client.custom.tier", "op": "eq", "value": "Gold"}
    assert conditions.clean("client.created", [condition]) == [condition]
    with pytest.raises(ValidationError, match="“Bronze” is not one of the values of Client Tier"):
        conditions.clean("client.created", [condition | {"value": "Bronze"}])


# --- Evaluating: record fields ------------------------------------------------------------


def test_numbers_compare_as_numbers_and_the_report_says_what_was_found(member, deal):
    services.update_field(actor=member, obj=deal, field="amount", value="12000", seen_value="1000")
    deal.refresh_from_db()
    passed, report = check("deal.won", "deal", deal, AMOUNT_OVER_10K)
    assert passed
    assert report == [
        {"text": "Deal amount is more than 10000", "passed": True, "actual": "12000.00"}
    ]
    for op, value, expected in [
        ("lt", "9999", False),
        ("lte", "12000", True),
        ("gte", "12000.01", False),
        ("eq", "12000", True),
        ("ne", "12000", False),
    ]:
        condition = {"field": "deal.amount", "op": op, "value": value}
        assert check("deal.won", "deal", deal, condition)[0] is expected, (op, value)


def test_text_is_compared_without_case(deal):
    title = {"field": "deal.title"}
    assert check("deal.won", "deal", deal, title | {"op": "eq", "value": "rollout"})[0]
    assert check("deal.won", "deal", deal, title | {"op": "contains", "value": "OLL"})[0]
    assert check("deal.won", "deal", deal, title | {"op": "not_contains", "value": "x"})[0]
    assert not check("deal.won", "deal", deal, title | {"op": "ne", "value": "Rollout"})[0]
    assert check("deal.won", "deal", deal, title | {"op": "not_empty"})[0]
    assert check("deal.won", "deal", deal, {"field": "client.industry", "op": "is_empty"})[0]


def test_choices_and_lists(member, acme, ticket):
    services.update_field(actor=member, obj=acme, field="country", value="DE", seen_value="")
    services.update_field(actor=member, obj=acme, field="tags", value=["VIP"], seen_value=[])
    ticket.refresh_from_db()
    country = {"field": "client.country"}
    passed, report = check(
        "ticket.created", "ticket", ticket, country | {"op": "eq", "value": "DE"}
    )
    assert passed and report[0]["actual"] == "Germany"
    assert report[0]["text"] == "Client country is Germany"
    assert check("ticket.created", "ticket", ticket, country | {"op": "in", "value": ["AT", "DE"]})[
        0
    ]
    assert check("ticket.created", "ticket", ticket, country | {"op": "not_in", "value": ["AT"]})[0]
    urgent = {"field": "ticket.priority", "op": "eq", "value": "urgent"}
    assert not check("ticket.created", "ticket", ticket, urgent)[0]
    tags = {"field": "client.tags", "op": "contains", "value": "vip"}
    assert check("ticket.created", "ticket", ticket, tags)[0]
    assert not check("ticket.created", "ticket", ticket, tags | {"op": "not_contains"})[0]


def test_a_deal_stage_is_a_choice_of_stages(member, deal, stages):
    services.win_deal(actor=member, deal=deal)
    deal.refresh_from_db()
    won = {"field": "deal.stage", "op": "eq", "value": str(stages["Won"].pk)}
    passed, report = check("deal.won", "deal", deal, won)
    assert passed and report[0]["actual"] == "Sales: Won"


def test_dates_and_moments(member, deal):
    services.update_field(
        actor=member, obj=deal, field="expected_close", value="2026-12-31", seen_value=None
    )
    deal.refresh_from_db()
    close = {"field": "deal.expected_close"}
    assert check("deal.won", "deal", deal, close | {"op": "gt", "value": "2026-12-01"})[0]
    assert not check("deal.won", "deal", deal, close | {"op": "lt", "value": "2026-12-01"})[0]
    assert check("deal.won", "deal", deal, close | {"op": "eq", "value": "2026-12-31"})[0]
    task = services.create_task(
        actor=member, title="Call", due_at=timezone.now() - timedelta(hours=1)
    )
    due = {"field": "task.due_at"}
    assert check("task.overdue", "task", task, due | {"op": "past"})[0]
    assert check("task.overdue", "task", task, due | {"op": "lt", "value": "2999-01-01 09:00"})[0]
    assert not check("task.overdue", "task", task, due | {"op": "gt", "value": "2999-01-01"})[0]


def test_custom_fields(member, acme, region):
    services.update_field(
        actor=member, obj=acme, field="custom.region", value="North", seen_value=None
    )
    acme.refresh_from_db()
    north = {"field": "client.custom.region", "op": "eq", "value": "north"}
    assert check("client.created", "client", acme, north)[0]
    assert not check("client.created", "client", acme, north | {"op": "is_empty"})[0]


def test_a_record_without_a_client_reads_empty_client_fields(member):
    task = services.create_task(actor=member, title="Alone")
    passed, report = check("task.created", "task", task, {"field": "client.name", "op": "is_empty"})
    assert passed and report[0]["actual"] == ""


def test_match_any_needs_one_and_all_needs_every_condition(deal):
    small = {"field": "deal.amount", "op": "lt", "value": "5000"}
    assert not check("deal.won", "deal", deal, AMOUNT_OVER_10K, small)[0]
    passed, report = check("deal.won", "deal", deal, AMOUNT_OVER_10K, small, match="any")
    assert passed and [row["passed"] for row in report] == [False, True]
    assert conditions.evaluate(rule_on("deal.won"), context(rule_on("deal.won"), "deal", deal)) == (
        True,
        [],
    )


# --- Evaluating: owner, department, segment -----------------------------------------------


def test_owner_is_the_person_the_record_is_with(member, support_member, acme, deal, ticket):
    is_member = {"field": "owner", "op": "is", "value": member.pk}
    passed, report = check("deal.won", "deal", deal, is_member)
    assert passed and report[0]["actual"] == str(member)
    assert report[0]["text"] == f"Owner is {member}"
    assert check("client.created", "client", acme, is_member)[0]
    assert not check("ticket.created", "ticket", ticket, is_member)[0]  # its assignee's
    assert check("ticket.created", "ticket", ticket, is_member | {"op": "is_not"})[0]
    contact = services.create_contact(actor=member, client=acme, name="Jo")
    assert check("contact.created", "contact", contact, is_member)[0]  # its client's owner


def test_department_is_the_owners(member, deal, sales, support):
    passed, report = check(
        "deal.won", "deal", deal, {"field": "department", "op": "is", "value": sales.pk}
    )
    assert passed and report[0]["actual"] == "Sales"
    assert not check(
        "deal.won", "deal", deal, {"field": "department", "op": "is", "value": support.pk}
    )[0]
    in_client_dept = {"field": "client.department", "op": "is", "value": sales.pk}
    assert check("deal.won", "deal", deal, in_client_dept)[0]


def test_segment_membership_static_and_dynamic(member, acme):
    static = Segment.objects.create(name="VIP", kind=Segment.Kind.STATIC)
    lifecycle_lead = {"field": "lifecycle", "op": "is", "value": "lead"}
    leads = Segment.objects.create(
        name="Leads",
        definition={"match": "all", "groups": [{"match": "all", "conditions": [lifecycle_lead]}]},
    )
    in_static = {"field": "segment", "op": "in", "value": static.pk}
    passed, report = check("client.created", "client", acme, in_static)
    assert not passed and report[0]["actual"] == "not in VIP"
    SegmentMember.objects.create(segment=static, client=acme)
    assert check("client.created", "client", acme, in_static)[0]
    assert check(
        "client.created", "client", acme, {"field": "segment", "op": "in", "value": leads.pk}
    )[0]
    services.update_field(
        actor=member, obj=acme, field="lifecycle", value="customer", seen_value="lead"
    )
    assert check(
        "client.created", "client", acme, {"field": "segment", "op": "not_in", "value": leads.pk}
    )[0]


# --- Evaluating: time ---------------------------------------------------------------------


def test_time_of_day_is_read_in_the_rules_department_zone(deal):
    tokyo = DepartmentFactory(name="Tokyo", slug="tokyo", timezone="Asia/Tokyo")
    noon_utc = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.UTC)  # 21:00 in Tokyo
    office = {"field": "time", "op": "between", "value": ["09:00", "17:00"]}
    assert check("deal.won", "deal", deal, office, now=noon_utc)[0]  # workspace-wide: UTC
    passed, report = check("deal.won", "deal", deal, office, now=noon_utc, department=tokyo)
    assert not passed and report[0]["actual"] == "21:00 (JST)"
    night = {"field": "time", "op": "between", "value": ["20:00", "06:00"]}  # over midnight
    assert check("deal.won", "deal", deal, night, now=noon_utc, department=tokyo)[0]
    assert not check("deal.won", "deal", deal, night, now=noon_utc)[0]
    assert check(
        "deal.won", "deal", deal, office | {"op": "not_between"}, now=noon_utc, department=tokyo
    )[0]


def test_working_hours_are_the_owners_in_the_owners_zone(member, deal):
    member.timezone, member.work_days = "America/New_York", [0, 1, 2, 3, 4]
    member.save(update_fields=["timezone", "work_days"])
    deal.refresh_from_db()
    zone = moments.zone("America/New_York")
    monday_10_ny = datetime(2026, 12, 7, 10, 0, tzinfo=zone)
    monday_20_ny = datetime(2026, 12, 7, 20, 0, tzinfo=zone)
    saturday_10_ny = datetime(2026, 12, 12, 10, 0, tzinfo=zone)
    within = {"field": "working_hours", "op": "within", "value": "owner"}
    passed, report = check("deal.won", "deal", deal, within, now=monday_10_ny)
    assert passed and report[0]["actual"] == f"Mon 10:00 for {member} (working)"
    assert not check("deal.won", "deal", deal, within, now=monday_20_ny)[0]
    assert not check("deal.won", "deal", deal, within, now=saturday_10_ny)[0]
    assert check("deal.won", "deal", deal, within | {"op": "outside"}, now=monday_20_ny)[0]


def test_working_hours_of_a_record_nobody_owns_are_outside(member):
    task = services.create_task(actor=member, title="Call")
    rule = rule_on("task.created", {"field": "working_hours", "op": "outside", "value": "owner"})
    ctx = context(rule, "task", None)
    assert conditions.evaluate(rule, ctx) == (
        True,
        [
            {
                "text": "Now is outside the owner's working hours",
                "passed": True,
                "actual": "nobody owns it",
            }
        ],
    )
    assert task.assignee == member


# --- What is gone since -------------------------------------------------------------------


def test_a_deleted_custom_field_is_a_broken_reference(member, acme, region):
    rule = rule_on(
        "client.created",
        *conditions.clean(
            "client.created", [{"field": "client.custom.region", "op": "eq", "value": "north"}]
        ),
    )
    region.delete()
    with pytest.raises(BrokenReference, match="custom field “region”, which was deleted"):
        conditions.evaluate(rule, context(rule, "client", acme))


def test_a_switched_off_custom_field_is_a_broken_reference_too(member, acme, region):
    rule = rule_on(
        "client.created", {"field": "client.custom.region", "op": "is_empty", "value": None}
    )
    CustomField.objects.filter(pk=region.pk).update(active=False)
    with pytest.raises(BrokenReference, match="Condition 1 tests the custom field"):
        conditions.evaluate(rule, context(rule, "client", acme))


@pytest.mark.parametrize("gone", ["segment", "person", "department"])
def test_a_segment_person_or_department_gone_is_a_broken_reference(gone, deal):
    named = {
        "segment": lambda: Segment.objects.create(name="VIP", kind=Segment.Kind.STATIC),
        "person": lambda: UserFactory(),
        "department": lambda: DepartmentFactory(name="Gone"),
    }[gone]()
    field, op = {
        "segment": ("segment", "in"),
        "person": ("owner", "is"),
        "department": ("department", "is"),
    }[gone]
    rule = rule_on(
        "deal.won", *conditions.clean("deal.won", [{"field": field, "op": op, "value": named.pk}])
    )
    if gone == "person":
        named.is_active = False
        named.save(update_fields=["is_active"])
    else:
        named.delete()
    with pytest.raises(BrokenReference, match="Condition 1: ") as broken:
        conditions.evaluate(rule, context(rule, "deal", deal))
    assert "left or was deactivated" in str(broken.value) or "there is no" in str(broken.value)


def test_a_condition_of_the_wrong_type_saved_around_the_form_is_a_broken_reference(deal):
    rule = rule_on("deal.won", {"field": "deal.amount", "op": "gt", "value": "lots"})
    with pytest.raises(BrokenReference) as broken:
        conditions.evaluate(rule, context(rule, "deal", deal))
    assert str(broken.value) == "Condition 1: “lots” is not a number for Deal amount."


def test_a_custom_value_of_another_type_simply_does_not_match(admin, acme):
    CustomField.objects.create(key="seats", label="Seats", type=CustomField.Type.NUMBER)
    acme.custom_values = {"seats": "many"}  # stored before the field became a number
    passed, report = check(
        "client.created", "client", acme, {"field": "client.custom.seats", "op": "gt", "value": "3"}
    )
    assert not passed and report[0]["actual"] == "many"


def test_a_trigger_gone_from_the_catalog_or_a_mangled_condition_is_a_broken_reference(deal):
    gone = rule_on("deal.exploded", AMOUNT_OVER_10K)
    with pytest.raises(BrokenReference, match=r"trigger “deal\.exploded” no longer exists"):
        conditions.evaluate(gone, context(gone, "deal", deal))
    mangled = rule_on("deal.won", "amount > 10000")
    with pytest.raises(BrokenReference, match="Condition 1 tests “”"):
        conditions.evaluate(mangled, context(mangled, "deal", deal))


def test_in_words_for_the_rule_page_never_raises(member, stages, region):
    won = {"field": "deal.stage", "op": "in", "value": [str(stages["Won"].pk)]}
    assert conditions.in_words("deal.won", won) == "Deal stage is one of Sales: Won"
    assert conditions.in_words("deal.won", AMOUNT_OVER_10K) == "Deal amount is more than 10000"
    owner = {"field": "owner", "op": "is", "value": member.pk}
    assert conditions.in_words("deal.won", owner) == f"Owner is {member}"
    assert conditions.in_words("deal.won", owner | {"value": 999999}) == "Owner is #999999"
    custom = {"field": "client.custom.region", "op": "not_empty", "value": None}
    assert conditions.in_words("deal.won", custom) == "Client Region is not empty"
    office = {"field": "time", "op": "between", "value": ["09:00", "17:00"]}
    assert conditions.in_words("schedule", office) == "Time of day is between 09:00 and 17:00"
    assert conditions.in_words("deal.won", {"field": "x", "op": "eq"}) == "x eq (no longer offered)"
    assert conditions.in_words("deal.exploded", AMOUNT_OVER_10K) == (
        "deal.amount (no longer offered)"
    )
    assert conditions.in_words("deal.won", "junk") == "junk (no longer offered)"
