"""Each field and operator of the segment catalog matches the right clients and contacts.

Tags, custom fields and emails are JSON: containment and key lookups on PostgreSQL, text
and JSON functions on SQLite — so the whole module runs on both (``backend``).
"""

import pytest
from django.core.exceptions import ValidationError

from marketing import segments
from tests.marketing import segmenting
from tests.marketing.segmenting import definition, members

book, custom_fields, other = segmenting.book, segmenting.custom_fields, segmenting.other

pytestmark = pytest.mark.backend

ALL_CLIENTS = {"Acme", "Beta", "Gamma"}


def _campaign(book):
    return str(book["campaign"].pk)


def _other(book):
    return str(book["other"].pk)


CASES = [
    # (field, op, value or fn(book), clients, contacts)
    ("lifecycle", "is", "lead", {"Acme"}, {"Jo", "Kim"}),
    ("lifecycle", "is_not", "lead", {"Beta", "Gamma"}, {"Lee"}),
    ("industry", "is", "software", {"Acme"}, {"Jo", "Kim"}),
    ("industry", "contains", "TAI", {"Beta"}, {"Lee"}),
    ("size", "is", "11-50", {"Acme"}, {"Jo", "Kim"}),
    ("country", "is", "DE", {"Acme", "Gamma"}, {"Jo", "Kim"}),
    ("country", "is_not", "DE", {"Beta"}, {"Lee"}),
    ("tags", "any", "vip, unknown", {"Acme"}, {"Jo", "Kim"}),
    ("tags", "all", ["vip", "renewal"], {"Acme"}, {"Jo", "Kim"}),
    ("tags", "all", ["renewal"], {"Acme", "Beta"}, {"Jo", "Kim", "Lee"}),
    ("tags", "none", ["vip"], {"Beta", "Gamma"}, {"Lee"}),
    ("owner", "is", _other, {"Beta"}, {"Lee"}),
    ("owner", "is_not", _other, {"Acme", "Gamma"}, {"Jo", "Kim"}),
    ("source", "is", "referral", {"Acme"}, {"Jo", "Kim"}),
    ("created", "before", "2021-01-01", {"Gamma"}, set()),
    ("created", "since", "2021-01-01", {"Acme", "Beta"}, {"Jo", "Kim", "Lee"}),
    ("created", "within", 30, {"Acme", "Beta"}, {"Jo", "Kim", "Lee"}),
    ("activity", "within", 30, {"Beta"}, {"Lee"}),
    ("activity", "none_for", 30, {"Acme", "Gamma"}, {"Jo", "Kim"}),
    ("open_deals", "has", None, {"Beta"}, {"Lee"}),
    ("open_deals", "none", None, {"Acme", "Gamma"}, {"Jo", "Kim"}),
    ("open_tickets", "has", None, {"Beta"}, {"Lee"}),
    ("open_tickets", "none", None, {"Acme", "Gamma"}, {"Jo", "Kim"}),
    ("churn_risk", "at_risk", None, {"Beta"}, {"Lee"}),
    ("churn_risk", "not_at_risk", None, {"Acme", "Gamma"}, {"Jo", "Kim"}),
    ("churn_risk", "score_gte", 50, {"Beta"}, {"Lee"}),
    ("campaign", "received", _campaign, {"Acme", "Beta"}, {"Jo", "Lee"}),
    ("campaign", "opened", _campaign, {"Acme"}, {"Jo"}),
    ("campaign", "clicked", _campaign, set(), set()),
    ("campaign", "received_within", 30, {"Acme"}, {"Jo"}),
    ("campaign", "opened_within", 30, {"Acme"}, {"Jo"}),
    ("email", "has", None, {"Acme", "Beta"}, {"Jo", "Lee"}),
    ("email", "none", None, {"Acme"}, {"Kim"}),
    ("title", "contains", "ceo", {"Acme"}, {"Jo"}),
    ("title", "lacks", "ceo", {"Acme", "Beta"}, {"Kim", "Lee"}),
    ("consent", "given", None, {"Acme"}, {"Jo"}),
    ("consent", "missing", None, {"Acme", "Beta"}, {"Kim", "Lee"}),
    ("consent", "unsubscribed", None, {"Beta"}, {"Lee"}),
    ("custom.tier", "is", "Gold", {"Acme"}, {"Jo", "Kim"}),
    ("custom.tier", "is_not", "Gold", {"Beta", "Gamma"}, {"Lee"}),
    ("custom.seats", "gte", 10, {"Acme"}, {"Jo", "Kim"}),
    ("custom.seats", "lte", "10", {"Beta"}, {"Lee"}),
    ("custom.seats", "eq", 5, {"Beta"}, {"Lee"}),
    ("custom.renewal_on", "before", "2027-01-01", {"Acme"}, {"Jo", "Kim"}),
    ("custom.renewal_on", "since", "2027-01-01", set(), set()),
    ("custom.region", "is", "eu west", {"Acme"}, {"Jo", "Kim"}),
    ("custom.region", "contains", "West", {"Acme"}, {"Jo", "Kim"}),
]


@pytest.mark.parametrize(
    ("field", "op", "value", "clients", "contacts"),
    CASES,
    ids=[f"{case[0]}-{case[1]}" for case in CASES],
)
def test_each_field_and_operator(book, field, op, value, clients, contacts):
    value = value(book) if callable(value) else value
    assert members(definition((field, op, value))) == (clients, contacts)


def test_department(book, sales, support):
    assert members(definition(("department", "is", str(support.pk))))[0] == {"Beta"}
    assert members(definition(("department", "is_not", str(support.pk))))[0] == {"Acme", "Gamma"}


def test_no_conditions_match_every_live_client_and_contact(book):
    assert members(segments.validate_definition({})) == (ALL_CLIENTS, {"Jo", "Kim", "Lee"})


def test_every_field_of_the_catalog_is_covered_here(book):
    covered = {case[0] for case in CASES} | {"department"}
    assert set(segments.catalog()) == covered


def test_groups_nest_all_and_any(book):
    lead_with_consent = {
        "match": "all",
        "conditions": [
            {"field": "lifecycle", "op": "is", "value": "lead"},
            {"field": "consent", "op": "given"},
        ],
    }
    at_risk = {"match": "all", "conditions": [{"field": "churn_risk", "op": "at_risk"}]}
    either = segments.validate_definition({"match": "any", "groups": [lead_with_consent, at_risk]})
    assert members(either) == ({"Acme", "Beta"}, {"Jo", "Lee"})
    # Counted as the union of the groups (each its own query): the same members, once each.
    assert segments.count(either) == segments.SegmentCount(clients=2, contacts=2)
    overlapping = segments.validate_definition(
        {"match": "any", "groups": [lead_with_consent, lead_with_consent, at_risk]}
    )
    assert segments.count(overlapping) == segments.SegmentCount(clients=2, contacts=2)
    both = segments.validate_definition({"match": "all", "groups": [lead_with_consent, at_risk]})
    assert members(both) == (set(), set())

    dutch_or_vip = {
        "match": "any",
        "conditions": [
            {"field": "country", "op": "is", "value": "NL"},
            {"field": "tags", "op": "any", "value": ["vip"]},
        ],
    }
    with_email = {"match": "all", "conditions": [{"field": "email", "op": "has"}]}
    nested = segments.validate_definition({"match": "all", "groups": [dutch_or_vip, with_email]})
    assert members(nested) == ({"Acme", "Beta"}, {"Jo", "Lee"})


def test_count_and_preview(book, django_assert_max_num_queries):
    leads = definition(("lifecycle", "is", "lead"))
    assert segments.count(leads) == segments.SegmentCount(clients=1, contacts=2)
    fields = segments.catalog()
    with django_assert_max_num_queries(1):
        rows = segments.preview(leads, fields)
        assert [
            (row.client.name, row.contact.name, row.email, row.client.owner.full_name)
            for row in rows
        ] == [
            ("Acme", "Jo", "jo@acme.example", book["acme"].owner.full_name),
            ("Acme", "Kim", "", book["acme"].owner.full_name),
        ]
    # No contact matches: the clients alone, one more query.
    churned = definition(("lifecycle", "is", "churned"))
    with django_assert_max_num_queries(2):
        assert [(row.client.name, row.contact) for row in segments.preview(churned, fields)] == [
            ("Gamma", None)
        ]
    assert segments.count(definition(("lifecycle", "is", "prospect"))).empty


def test_a_deactivated_custom_field_matches_no_one(book, custom_fields):
    gold = definition(("custom.tier", "is", "Gold"))
    custom_fields[0].active = False
    custom_fields[0].save()
    assert members(gold) == (set(), set())
    assert segments.describe(gold)[0].conditions == ["custom.tier (no longer available)"]


def test_describe_reads_conditions_as_phrases(book):
    described = segments.describe(
        definition(
            ("lifecycle", "is", "lead"), ("activity", "none_for", 30), ("consent", "given", None)
        )
    )
    assert described[0].conditions == [
        "Lifecycle is Lead",
        "Last activity none for 30 days",
        "Contact consent is given",
    ]


# --- Invalid definitions ---------------------------------------------------------------


def _errors(raw) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        segments.validate_definition(raw)
    return refused.value.messages


def _one_group(*conditions):
    return {"groups": [{"conditions": list(conditions)}]}


def test_invalid_conditions_are_refused_one_sentence_each(book):
    assert _errors(
        _one_group(
            {"field": "shoe_size", "op": "is", "value": 42},
            {"field": "lifecycle", "op": "above", "value": "lead"},
            {"field": "lifecycle", "op": "is", "value": "pirate"},
            {"field": "created", "op": "within", "value": "0"},
            {"field": "created", "op": "before", "value": "last tuesday"},
            {"field": "churn_risk", "op": "score_gte", "value": 101},
            {"field": "title", "op": "contains", "value": "   "},
            {"field": "tags", "op": "any", "value": 'say "hi"'},
        )
    ) == [
        "Group 1, condition 1: there is no field “shoe_size” to filter on.",
        "Group 1, condition 2: Lifecycle cannot be filtered with “above”; use “is”, “is not”.",
        "Group 1, condition 3: “Lifecycle is” needs one of its choices.",
        "Group 1, condition 4: “Created within the last” needs a number from 1 to 3650.",
        "Group 1, condition 5: “Created before” needs a date (YYYY-MM-DD).",
        "Group 1, condition 6: “Churn risk score at least” needs a number up to 100.",
        "Group 1, condition 7: “Contact title contains” needs some text (1 to 100 characters).",
        "Group 1, condition 8: “Tags has any of” needs tags of at most 40 characters, "
        "without quotes.",
    ]


def test_bad_shapes_and_matches_are_refused(book):
    assert _errors("lifecycle=lead") == ["A segment definition must be a mapping of groups."]
    assert _errors({"groups": "all"}) == ["A segment's groups must be a list."]
    assert _errors({"match": "most", "groups": [{"match": "some", "conditions": []}, 7]}) == [
        "The segment must match “all” or “any” of its conditions, not “most”.",
        "Group 1 must match “all” or “any” of its conditions, not “some”.",
        "Group 2 is not a group of conditions.",
    ]


def test_too_many_conditions_or_groups_are_refused(book):
    condition = {"field": "lifecycle", "op": "is", "value": "lead"}
    many = {"groups": [{"conditions": [condition] * (segments.MAX_CONDITIONS + 1)}]}
    assert _errors(many) == [
        f"A segment has at most {segments.MAX_CONDITIONS} conditions; "
        f"this one has {segments.MAX_CONDITIONS + 1}."
    ]
    groups = {"groups": [{"conditions": [condition]}] * (segments.MAX_GROUPS + 1)}
    assert _errors(groups) == [
        f"A segment has at most {segments.MAX_GROUPS} groups; this one has "
        f"{segments.MAX_GROUPS + 1}."
    ]


def test_validation_normalizes_values(book):
    cleaned = definition(("tags", "any", " VIP ,renewal,vip"), ("created", "within", "30"))
    assert cleaned["groups"][0]["conditions"] == [
        {"field": "tags", "op": "any", "value": ["vip", "renewal"]},
        {"field": "created", "op": "within", "value": 30},
    ]
    # Empty groups are dropped.
    assert segments.validate_definition({"groups": [{"conditions": []}]}) == {
        "match": "all",
        "groups": [],
    }
