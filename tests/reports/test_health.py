"""Client health: each signal moves the score the right way (points worked out by hand), the
bulk and single computations agree, the rollup equals a from-scratch computation after random
writes, a crossing tells the owner once, the reports and the client page panel."""

import random
from datetime import datetime, timedelta

import pytest
from django.urls import reverse

from accounts.models import Notification
from calendar_app.services import create_event
from records import services
from records.models import Client, Priority, Ticket
from reports import health
from reports import services as report_services
from reports.health import score_client, scores_for
from reports.models import ClientHealth
from reports.services import rescore_all
from tests.factories import UserFactory
from tests.reports.conftest import UTC

pytestmark = pytest.mark.django_db

T0 = (2026, 1, 5, 9)


@pytest.fixture
def start(at, defaults):
    """The clock at T0; returns a function making a client owned by ``owner`` then."""
    at(*T0)

    def client(owner, name="Acme GmbH"):
        return services.create_client(actor=owner, name=name)

    return client


def later(at, **delta):
    """Move the clock ``delta`` (and a minute, so whole days are whole) after T0."""
    moment = datetime(*T0, tzinfo=UTC) + timedelta(minutes=1, **delta)
    return at(moment.year, moment.month, moment.day, moment.hour, moment.minute)


def signals(client) -> dict[str, int]:
    found = score_client(client.pk)
    return {reason.signal: reason.points for reason in found.reasons}


def solve(actor, ticket, rating=None):
    services.set_ticket_status(actor=actor, ticket=ticket, status=Ticket.Status.SOLVED)
    if rating:
        services.rate_ticket(actor=actor, ticket=ticket, satisfaction=rating)


# --- Each signal ------------------------------------------------------------------


def test_a_new_client_scores_zero(start, member):
    acme = start(member)
    assert score_client(acme.pk).score == 0
    assert ClientHealth.objects.get(pk=acme.pk).score == 0  # the listener wrote the row


def test_days_without_activity_raise_the_score_and_activity_resets_it(start, at, member):
    acme = start(member)
    later(at, days=36)
    assert signals(acme) == {"inactive_30": 15}
    assert score_client(acme.pk).reasons[0].text == "No activity for 36 days"
    later(at, days=66)
    assert signals(acme) == {"inactive_60": 30}
    later(at, days=95)
    # 45 (95 days ≥ 90) + 15 (no meeting in 3 months: the client is 95 days old) = 60
    assert score_client(acme.pk).score == 60
    services.log_activity(actor=member, client=acme, kind="call", summary="Called Jo")
    assert signals(acme) == {"no_meeting": 15}  # a call is no meeting


def test_open_urgent_tickets(start, at, member, support_member):
    acme = start(member)
    first = services.create_ticket(
        actor=support_member, client=acme, subject="Down", priority=Priority.URGENT
    )
    services.create_ticket(
        actor=support_member, client=acme, subject="Still down", priority=Priority.URGENT
    )
    later(at, hours=1)  # within the 4 h urgent SLA: no breach yet
    assert signals(acme) == {"urgent_tickets": 30}  # 2 x 15 (cap 30)
    solve(support_member, first)
    assert signals(acme) == {"urgent_tickets": 15}
    assert score_client(acme.pk).reasons[0].text == "1 urgent ticket open"


def test_sla_breaches_open_and_resolved_late(start, at, member, support_member):
    acme = start(member)
    late = services.create_ticket(actor=support_member, client=acme, subject="Slow")  # 24 h SLA
    services.create_ticket(actor=support_member, client=acme, subject="Slower")
    later(at, days=2)
    assert signals(acme) == {"sla_breaches": 16}  # 2 open past due x 8
    solve(support_member, late)
    assert signals(acme) == {"sla_breaches": 16}  # one solved late, one still open: 2 x 8
    later(at, days=93)  # the late solve (day 2) left the 90 days; the open one still counts
    assert signals(acme)["sla_breaches"] == 8


def test_falling_satisfaction(start, at, member, support_member):
    acme = start(member)
    before = services.create_ticket(actor=support_member, client=acme, subject="A")
    solve(support_member, before, rating=5)
    later(at, days=100)
    recent = services.create_ticket(actor=support_member, client=acme, subject="B")
    solve(support_member, recent, rating=4)
    services.log_activity(actor=member, client=acme, kind="meeting", summary="Review")
    # resolved days 90-180 ago average 5.0, last 90 days 4.0: a fall of 1.0 ≥ 0.5 → 15
    assert signals(acme) == {"csat_falling": 15}
    assert score_client(acme.pk).reasons[0].text == "Satisfaction fell from 5.0 to 4.0 out of 5"


def test_low_satisfaction(start, member, support_member):
    acme = start(member)
    for rating in (2, 3):
        ticket = services.create_ticket(actor=support_member, client=acme, subject=f"R{rating}")
        solve(support_member, ticket, rating=rating)
    assert signals(acme) == {"csat_low": 20}  # (2 + 3) / 2 = 2.5 < 3.0 → 20
    ticket = services.create_ticket(actor=support_member, client=acme, subject="R5")
    solve(support_member, ticket, rating=5)
    assert signals(acme) == {}  # (2 + 3 + 5) / 3 = 3.33 ≥ 3.0


def test_stalled_deals(start, at, member, stages):
    acme = start(member)
    deal = services.create_deal(actor=member, client=acme, title="Rollout")
    services.create_deal(actor=member, client=acme, title="Upsell")
    later(at, days=31)
    services.log_activity(actor=member, client=acme, kind="note", summary="Still thinking")
    assert signals(acme) == {"stalled_deals": 20}  # 2 deals, no stage move for 31 days: 2 x 10
    services.move_deal(actor=member, deal=deal, stage=stages["Proposal"])
    assert signals(acme) == {"stalled_deals": 10}


def test_lost_deals(start, at, member, price):
    acme = start(member)
    deal = services.create_deal(actor=member, client=acme, title="Rollout")
    services.lose_deal(actor=member, deal=deal, loss_reason=price)
    assert signals(acme) == {"lost_deals": 10}
    later(at, days=91)  # lost 91 days ago: out of the window
    services.log_activity(actor=member, client=acme, kind="meeting", summary="Catch-up")
    assert signals(acme) == {}


def test_no_meeting_in_three_months(start, at, member):
    acme = start(member)
    later(at, days=89)
    services.log_activity(actor=member, client=acme, kind="email", summary="Sent notes")
    assert signals(acme) == {}  # the client is younger than 3 months
    later(at, days=91)
    services.log_activity(actor=member, client=acme, kind="email", summary="Sent more")
    assert signals(acme) == {"no_meeting": 15}
    services.log_activity(actor=member, client=acme, kind="meeting", summary="Met Jo")
    assert signals(acme) == {}


def test_a_planned_private_meeting_counts_without_its_title(start, at, member):
    acme = start(member)
    moment = later(at, days=91)
    services.log_activity(actor=member, client=acme, kind="email", summary="Sent notes")
    assert signals(acme) == {"no_meeting": 15}
    create_event(
        actor=member,
        title="Secret renewal talk",
        start=moment + timedelta(days=7),
        end=moment + timedelta(days=7, hours=1),
        client=acme,
        visibility="private",
    )
    assert signals(acme) == {}
    assert "Secret" not in str(ClientHealth.objects.get(pk=acme.pk).reasons)


def test_the_score_is_capped_at_100(start, at, member, support_member, price):
    acme = start(member)
    for number in range(3):
        services.create_ticket(
            actor=support_member, client=acme, subject=f"U{number}", priority=Priority.URGENT
        )
    for number in range(2):
        deal = services.create_deal(actor=member, client=acme, title=f"D{number}")
        services.lose_deal(actor=member, deal=deal, loss_reason=price)
    later(at, days=95)
    # 45 inactive + 30 urgent (cap) + 24 breaches (3 open past due, cap) + 15 no meeting
    # (the losses, 95 days ago, left the window) = 114 → 100
    assert score_client(acme.pk).score == 100


# --- Bulk and single agree; constant queries --------------------------------------


def _book(member, support_member, price, size: int) -> list[Client]:
    clients = []
    for number in range(size):
        client = services.create_client(actor=member, name=f"Client {number}")
        ticket = services.create_ticket(
            actor=support_member, client=client, subject="Help", priority=Priority.URGENT
        )
        if number % 2:
            solve(support_member, ticket, rating=2)
        deal = services.create_deal(actor=member, client=client, title="Deal")
        if number % 3 == 0:
            services.lose_deal(actor=member, deal=deal, loss_reason=price)
        clients.append(client)
    return clients


def test_bulk_and_single_agree(start, at, member, support_member, price):
    clients = _book(member, support_member, price, 6)
    later(at, days=40)
    bulk = scores_for([client.pk for client in clients])
    assert bulk == {client.pk: score_client(client.pk) for client in clients}
    assert {health.score for health in bulk.values()} != {0}


@pytest.mark.parametrize("size", [2, 8])
def test_bulk_queries_are_constant(
    start, member, support_member, price, size, django_assert_num_queries
):
    ids = [client.pk for client in _book(member, support_member, price, size)]
    with django_assert_num_queries(5):  # clients, timeline, calendar, tickets, deals
        scores_for(ids)


# --- The rollup -------------------------------------------------------------------


def test_the_rollup_equals_a_fresh_computation_after_random_writes(
    start, at, member, support_member, stages, price
):
    """~30 random writes through the services over a few months; every stored score then
    equals a from-scratch computation at the moment it was stored."""
    rng = random.Random(16)  # noqa: S311 (a seeded, repeatable sequence)
    clients = [start(member, f"Client {number}") for number in range(4)]
    tickets, deals, day = [], [], 0
    open_stages = [stages[name] for name in ("Qualification", "Proposal")]

    def new_ticket(client):
        priority = rng.choice(list(Priority))
        tickets.append(
            services.create_ticket(
                actor=support_member, client=client, subject="T", priority=priority
            )
        )

    def resolve(client):
        unresolved = [t for t in tickets if t.client_id == client.pk]
        if unresolved:
            ticket = Ticket.objects.get(pk=rng.choice(unresolved).pk)
            if ticket.status not in Ticket.RESOLVED:
                solve(support_member, ticket, rating=rng.randint(1, 5))

    def new_deal(client):
        deals.append(services.create_deal(actor=member, client=client, title="D"))

    def close_or_move(client):
        mine = [deal for deal in deals if deal.client_id == client.pk]
        if mine:
            deal = rng.choice(mine)
            deal.refresh_from_db()
            if deal.status == "open":
                match rng.randrange(3):
                    case 0:
                        services.lose_deal(actor=member, deal=deal, loss_reason=price)
                    case 1:
                        services.win_deal(actor=member, deal=deal)
                    case _:
                        services.move_deal(actor=member, deal=deal, stage=rng.choice(open_stages))

    def activity(client):
        kind = rng.choice(["call", "meeting", "email", "note"])
        services.log_activity(actor=member, client=client, kind=kind, summary="Did")

    def comment(client):
        services.post_comment(actor=member, target=client, body="Hello")

    def archive(client):
        client.refresh_from_db()
        services.archive_client(actor=member, client=client, archived=not client.archived)

    writes = [new_ticket, resolve, new_deal, close_or_move, activity, comment, archive]
    for _ in range(30):
        day += rng.choice([0, 1, 5, 20, 40])
        later(at, days=day, hours=rng.randrange(8))
        rng.choice(writes)(rng.choice(clients))

    stored = {row.pk: row for row in ClientHealth.objects.all()}
    live = set(health.live_clients().values_list("pk", flat=True))
    assert set(stored) == live
    for pk, row in stored.items():
        fresh = score_client(pk, row.computed_at)
        assert (row.score, row.reasons) == (
            fresh.score,
            [reason.as_dict() for reason in fresh.reasons],
        ), pk
    assert {row.score for row in stored.values()} != {0}


def test_the_sweep_catches_up_with_time(start, at, member):
    acme = start(member)
    later(at, days=40)
    assert ClientHealth.objects.get(pk=acme.pk).score == 0  # nothing was written since
    assert rescore_all() == 1
    assert ClientHealth.objects.get(pk=acme.pk).score == 15  # 40 days without activity


# --- Crossing the threshold tells the owner, once ---------------------------------


def _warnings(owner):
    return list(
        Notification.objects.filter(recipient=owner, kind=health.NOTIFICATION_KIND)
        .order_by("pk")
        .values_list("text", "link")
    )


def test_a_write_crossing_the_threshold_tells_the_owner(start, at, member, support_member, price):
    acme = start(member)
    later(at, days=91)
    for number in range(2):
        deal = services.create_deal(actor=member, client=acme, title=f"D{number}")
        services.lose_deal(actor=member, deal=deal, loss_reason=price)
    services.create_ticket(
        actor=support_member, client=acme, subject="Down", priority=Priority.URGENT
    )
    assert ClientHealth.objects.get(pk=acme.pk).score == 50  # 20 lost + 15 no meeting + 15
    assert _warnings(member) == []
    services.create_ticket(
        actor=support_member, client=acme, subject="Down again", priority=Priority.URGENT
    )
    # 30 urgent + 20 lost + 15 no meeting = 65 ≥ 60
    assert _warnings(member) == [
        (
            "Acme GmbH is at risk (score 65): 2 urgent tickets open, "
            "2 deals lost in the last 90 days, no meeting in 3 months, and none planned.",
            reverse("records:client_detail", args=[acme.pk]),
        )
    ]
    assert ClientHealth.objects.get(pk=acme.pk).at_risk


def test_the_sweep_tells_once_per_crossing(start, at, member):
    acme = start(member)
    later(at, days=95)
    rescore_all()
    rescore_all()
    assert [text for text, _ in _warnings(member)] == [
        "Acme GmbH is at risk (score 60): no activity for 95 days, "
        "no meeting in 3 months, and none planned."
    ]
    services.log_activity(actor=member, client=acme, kind="meeting", summary="Met")
    assert not ClientHealth.objects.get(pk=acme.pk).at_risk
    later(at, days=190)
    rescore_all()
    assert len(_warnings(member)) == 2  # fell below, rose again: told again


# --- Reports ----------------------------------------------------------------------


def _scored(owner, name, score, reason="No activity for 99 days"):
    """A client with a given stored score. The score is derived data no service sets; setting
    it directly keeps these report tests apart from the scoring, tested above."""
    client = services.create_client(actor=owner, name=name)
    reasons = [{"signal": "inactive_90", "points": score, "text": reason}]
    ClientHealth.objects.filter(pk=client.pk).update(score=score, reasons=reasons)
    return client


def report(client, user, slug, **params):
    from urllib.parse import urlencode

    client.force_login(user)
    url = reverse("reports:report", args=[slug]) + "?" + urlencode(params | {"format": "csv"})
    response = client.get(url)
    assert response.status_code == 200
    return [line.split(",") for line in response.content.decode().strip().splitlines()]


def test_at_risk_lists_riskiest_first_with_owner_and_reason(client, start, admin, member):
    other = UserFactory(full_name="Ola Other", departments=member.departments.all())
    _scored(member, "Calm", 59)
    _scored(member, "Edgy", 60)
    _scored(other, "Worst", 85, reason="2 urgent tickets open")
    rows = report(client, admin, "health-at-risk")
    assert rows == [
        ["Client", "Owner", "Score", "Main reason"],
        ["Worst", "Ola Other", "85", "2 urgent tickets open"],
        ["Edgy", member.full_name, "60", "No activity for 99 days"],
    ]
    assert report(client, admin, "health-at-risk", person=other.pk)[1:] == [
        ["Worst", "Ola Other", "85", "2 urgent tickets open"]
    ]


def test_at_risk_rows_link_to_the_client_page(start, admin, member):
    from reports.filters import read_filters
    from reports.selectors.health import at_risk

    edgy = _scored(member, "Edgy", 70)
    filters, _ = read_filters(admin, {})
    assert at_risk(filters).rows[0]["link"] == reverse("records:client_detail", args=[edgy.pk])


def test_distribution_counts_clients_per_band(client, start, admin, member):
    for number, score in enumerate((0, 19, 20, 59, 60, 79, 80, 100)):
        _scored(member, f"C{number}", score)
    assert report(client, admin, "health-distribution") == [
        ["Score", "Clients"],
        ["0-19", "2"],
        ["20-39", "1"],
        ["40-59", "1"],
        ["60-79", "2"],
        ["80-100", "2"],
        ["Total", "8"],
    ]


@pytest.mark.parametrize("size", [3, 9])
def test_reports_run_constant_queries(start, admin, member, size, django_assert_max_num_queries):
    from reports.filters import read_filters
    from reports.selectors.health import at_risk, distribution

    for number in range(size):
        _scored(member, f"C{number}", 50 + 5 * number)
    filters, _ = read_filters(admin, {})
    with django_assert_max_num_queries(2):
        at_risk(filters)
    with django_assert_max_num_queries(1):
        distribution(filters)


# --- The client page ----------------------------------------------------------------


def test_client_page_shows_the_score_and_top_three_reasons(client, start, at, member, price):
    acme = start(member)
    for number in range(2):
        deal = services.create_deal(actor=member, client=acme, title=f"D{number}")
    services.lose_deal(actor=member, deal=deal, loss_reason=price)
    later(at, days=95)
    rescore_all()
    client.force_login(member)
    page = client.get(reverse("records:client_detail", args=[acme.pk])).content.decode()
    assert f'id="client-{acme.pk}-health"' in page
    # 45 inactive + 15 no meeting + 10 stalled (the lost deal left the window) = 70
    assert "<strong>70</strong>" in page
    assert "No activity for 95 days" in page
    assert "1 open deal with no stage move for 30+ days" in page


def test_a_changed_score_is_pushed_to_the_client_page(start, member, support_member):
    from workspace.live.models import Event

    acme = start(member)
    services.create_ticket(
        actor=support_member, client=acme, subject="Down", priority=Priority.URGENT
    )
    pushed = Event.objects.filter(topic=f"client.{acme.pk}", kind="health.scored").last()
    assert pushed.payload == {"score": 15}
    assert 'hx-swap-oob="true"' in pushed.html and "1 urgent ticket open" in pushed.html


def test_activity_on_a_client_without_silence_signals_skips_the_rescoring(
    start, at, member, monkeypatch
):
    """A comment can only take silence signals away: a client scored without any keeps its
    row untouched (one query), a silent one is rescored and the signal goes."""
    rescored = []
    real_rescore = report_services.rescore
    monkeypatch.setattr(
        report_services,
        "rescore",
        lambda ids, *now: rescored.append(ids) or real_rescore(ids, *now),
    )
    lively, quiet = start(member, "Lively"), start(member, "Quiet")
    rescored.clear()
    services.post_comment(actor=member, target=lively, body="All good")
    assert rescored == []
    later(at, days=40)
    rescore_all()  # the daily sweep: Quiet (and Lively) now 40 days silent
    rescored.clear()
    services.post_comment(actor=member, target=quiet, body="Back in touch")
    assert rescored == [[quiet.pk]]
    assert ClientHealth.objects.get(pk=quiet.pk).reasons == []


def test_the_rescoring_command_rescores_now_or_starts_one_cycle(capsys):
    """``rescore_clients`` shares the recurring-job command with the event log's pruning
    (workspace/jobs/recurring.py, tested at length in tests/live/test_prune_command.py)."""
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    from reports.tasks import rescore_clients

    call_command("rescore_clients")
    assert "Rescored every client" in capsys.readouterr().out
    call_command("rescore_clients", every=86400)
    call_command("rescore_clients", every=86400)
    assert "Rescoring is already scheduled" in capsys.readouterr().out
    [job] = DBTaskResult.objects.filter(task_path=rescore_clients.module_path)
    assert job.args_kwargs["args"] == [86400]
