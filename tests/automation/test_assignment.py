"""Choosing a person: working hours in their own zone, round-robin turns, least loaded,
the client's owner, the fallback, and people or departments that are gone."""

from datetime import time

import pytest
from django.core.exceptions import ValidationError

from automation import assignment
from automation.errors import BrokenReference
from automation.models import AssignmentTurn
from records import services
from tests.automation.action_helpers import (
    MONDAY_NOON_BERLIN,
    SATURDAY_NOON_BERLIN,
    make_client,
    make_deal,
    make_ticket,
)
from tests.factories import UserFactory


@pytest.fixture
def team(support):
    """Three support people in Berlin, 09:00-17:00 Monday to Friday, by id."""
    return [UserFactory(departments=[support]) for _ in range(3)]


def pick(config, now=MONDAY_NOON_BERLIN, client=None, dry_run=False):
    return assignment.choose(config, client=client, now=now, dry_run=dry_run)


def test_available_means_active_and_working_in_their_own_time_zone(db):
    berlin = UserFactory(timezone="Europe/Berlin")
    tokyo = UserFactory(timezone="Asia/Tokyo")  # 20:00 there at Berlin's noon
    gone = UserFactory(is_active=False)

    assert assignment.is_available(berlin, MONDAY_NOON_BERLIN)
    assert not assignment.is_available(tokyo, MONDAY_NOON_BERLIN)
    assert not assignment.is_available(berlin, SATURDAY_NOON_BERLIN)
    assert not assignment.is_available(gone, MONDAY_NOON_BERLIN)


def test_working_hours_and_days_are_the_persons_own(db):
    late = UserFactory(work_start=time(13, 0), work_end=time(21, 0), work_days=[5, 6])

    assert not assignment.is_available(late, MONDAY_NOON_BERLIN)
    assert not assignment.is_available(late, SATURDAY_NOON_BERLIN)  # 12:00: not yet started
    assert assignment.is_available(late, SATURDAY_NOON_BERLIN.replace(hour=14))


def test_round_robin_takes_turns_in_id_order_and_wraps(support, team):
    config = {"strategy": "round_robin", "department": support.pk}

    chosen = [pick(config).person for _ in range(4)]

    assert chosen == [team[0], team[1], team[2], team[0]]
    assert AssignmentTurn.objects.get(department=support).last_user == team[0]


def test_round_robin_skips_the_deactivated_and_those_off_work(support, team):
    team[1].is_active = False
    team[1].save()
    team[2].timezone = "Asia/Tokyo"
    team[2].save()
    config = {"strategy": "round_robin", "department": support.pk}

    assert [pick(config).person for _ in range(2)] == [team[0], team[0]]


def test_a_dry_run_takes_no_turn(support, team):
    config = {"strategy": "round_robin", "department": support.pk}

    assert pick(config, dry_run=True).person == team[0]
    assert pick(config, dry_run=True).person == team[0]
    assert not AssignmentTurn.objects.filter(department=support, last_user__isnull=False).exists()


def test_least_loaded_counts_open_tasks_tickets_and_deals(admin, support, team):
    client = make_client(admin)
    make_ticket(admin, client, assignee=team[0])
    make_deal(admin, client, owner=team[1])
    services.create_task(actor=admin, title="Call", assignee=team[1])
    solved = make_ticket(admin, client, assignee=team[2])
    services.set_ticket_status(actor=admin, ticket=solved, status="solved")  # not open

    load = assignment.open_work(person.pk for person in team)

    assert load == {team[0].pk: 1, team[1].pk: 2, team[2].pk: 0}
    assert pick({"strategy": "least_loaded", "department": support.pk}).person == team[2]


def test_least_loaded_counts_in_one_query(support, team, django_assert_num_queries):
    with django_assert_num_queries(1):
        assignment.open_work(person.pk for person in team)


def test_least_loaded_ties_go_to_the_lower_id(support, team):
    assert pick({"strategy": "least_loaded", "department": support.pk}).person == team[0]


def test_existing_owner_is_the_clients(admin, member):
    client = make_client(admin, owner=member)

    assert pick({"strategy": "existing_owner"}, client=client).person == member


def test_existing_owner_needs_a_client(db):
    with pytest.raises(ValidationError, match="no client"):
        pick({"strategy": "existing_owner"})


def test_nobody_available_goes_to_the_fallback_whatever_the_hour(support, team, admin):
    config = {"strategy": "round_robin", "department": support.pk, "fallback": admin.pk}

    choice = pick(config, now=SATURDAY_NOON_BERLIN)

    assert choice.person == admin
    assert choice.why == "fallback: nobody in Support is available now"


def test_nobody_available_and_no_fallback_fails_with_a_reason(support, team):
    with pytest.raises(ValidationError, match="nobody in Support is available now"):
        pick({"strategy": "least_loaded", "department": support.pk}, now=SATURDAY_NOON_BERLIN)


def test_a_named_person_off_work_gives_way_to_the_fallback(member, admin):
    choice = pick(
        {"strategy": "person", "person": member.pk, "fallback": admin.pk},
        now=SATURDAY_NOON_BERLIN,
    )

    assert choice.person == admin


def test_a_deactivated_named_person_is_a_broken_reference(member):
    member.is_active = False
    member.save()

    with pytest.raises(BrokenReference, match=f"{member.full_name}, named in"):
        pick({"strategy": "person", "person": member.pk})


def test_a_deactivated_fallback_is_a_broken_reference(support, team, member):
    member.is_active = False
    member.save()
    config = {"strategy": "round_robin", "department": support.pk, "fallback": member.pk}

    with pytest.raises(BrokenReference, match="fallback"):
        pick(config, now=SATURDAY_NOON_BERLIN)


def test_a_deleted_department_is_a_broken_reference(db):
    with pytest.raises(BrokenReference, match="department"):
        pick({"strategy": "round_robin", "department": 987654})


def test_the_owner_of_each_kind_of_record(admin, member, support_member):
    client = make_client(admin, owner=member)
    deal = make_deal(admin, client, owner=admin)
    ticket = make_ticket(admin, client, assignee=support_member)

    assert assignment.subject_owner("client", client) == member
    assert assignment.subject_owner("deal", deal) == admin
    assert assignment.subject_owner("ticket", ticket) == support_member
    contact = services.create_contact(actor=admin, client=client, name="Ann")
    assert assignment.subject_owner("contact", contact) == member  # its client's
    assert assignment.subject_owner("", None) is None
