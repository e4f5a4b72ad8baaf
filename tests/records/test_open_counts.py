"""Each client's open deal and ticket counters (records/services/counts.py): every write
path keeps them equal to a count of the client's rows, and the client list sorts by them."""

from decimal import Decimal

import pytest

from records import services
from records.models import Client, Deal, Ticket
from records.services.counts import recount_open_work

pytestmark = pytest.mark.django_db


def counts(client: Client) -> tuple[int, int]:
    """The client's counters, and that they equal a fresh count of its rows."""
    client.refresh_from_db()
    actual = (
        Deal.objects.filter(client=client, status=Deal.Status.OPEN).count(),
        Ticket.objects.filter(client=client).exclude(status__in=Ticket.RESOLVED).count(),
    )
    assert (client.open_deal_count, client.open_ticket_count) == actual
    return actual


def test_deals_opened_won_lost_reopened_and_deleted(member, acme, stages, price):
    deal = services.create_deal(actor=member, client=acme, title="Rollout")
    services.create_deal(actor=member, client=acme, title="Pilot")
    assert counts(acme) == (2, 0)

    services.move_deal(actor=member, deal=deal, stage=stages["Proposal"].pk)
    assert counts(acme) == (2, 0)
    services.win_deal(actor=member, deal=deal)
    assert counts(acme) == (1, 0)
    services.move_deal(actor=member, deal=deal, stage=stages["Qualification"].pk)
    assert counts(acme) == (2, 0)
    services.lose_deal(actor=member, deal=deal, loss_reason=price)
    assert counts(acme) == (1, 0)
    services.delete_deal(actor=member, deal=deal)
    assert counts(acme) == (1, 0)
    services.delete_deal(actor=member, deal=Deal.objects.get(title="Pilot"))
    assert counts(acme) == (0, 0)


def test_tickets_opened_resolved_and_reopened(support_member, acme):
    ticket = services.create_ticket(actor=support_member, client=acme, subject="Down")
    assert counts(acme) == (0, 1)
    for status, open_tickets in [
        ("pending", 1),
        ("solved", 0),
        ("closed", 0),
        ("open", 1),
        ("new", 1),
        ("closed", 0),
    ]:
        services.set_ticket_status(actor=support_member, ticket=ticket, status=status)
        assert counts(acme) == (0, open_tickets), status


def test_a_merge_moves_the_counts_to_the_survivor(member, support_member, acme, deal, ticket):
    dupe = services.create_client(actor=member, name="ACME Inc.", domain="acme-inc.example")
    services.create_deal(actor=member, client=dupe, title="Dupe deal", amount=Decimal(5))
    won = services.create_deal(actor=member, client=dupe, title="Won deal")
    services.win_deal(actor=member, deal=won)
    services.create_ticket(actor=support_member, client=dupe, subject="Dupe ticket")

    services.merge_clients(actor=member, survivor=acme, loser=dupe)

    assert counts(acme) == (2, 2)
    assert counts(dupe) == (0, 0)


def test_a_client_read_before_a_deal_was_opened_keeps_the_new_count(member, acme, stages):
    """``Client.save`` leaves the counters out: a stale copy cannot write back its count."""
    stale = Client.objects.get(pk=acme.pk)
    services.create_deal(actor=member, client=acme, title="Rollout")

    stale.name = "Acme AG"
    stale.save()
    Client.objects.only("pk", "industry").get(pk=acme.pk).save()  # deferred fields: untouched

    assert counts(acme) == (1, 0)
    assert acme.name == "Acme AG"


def test_recount_corrects_rows_written_round_the_services(member, acme, deal, ticket, stages):
    """The demo's bulk rows and the migration's backfill rely on it."""
    other = services.create_client(actor=member, name="Other")
    Deal.objects.bulk_create(
        [Deal(client=other, title="Bulk", pipeline=deal.pipeline, stage=deal.stage, owner=member)]
    )
    Client.objects.filter(pk=acme.pk).update(open_deal_count=7, open_ticket_count=7)

    recount_open_work()

    assert counts(acme) == (1, 1)
    assert counts(other) == (1, 0)
