"""Deliveries come from the live event log, in the writer's transaction."""

import pytest
from django.db import transaction

from integrations.webhooks import services
from integrations.webhooks.models import Delivery
from records import services as records
from workspace.live.models import Event


@pytest.fixture
def endpoints(admin, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True  # these tests never send: no receiver needed
    return [
        services.create_endpoint(
            actor=admin, url="https://127.0.0.1:9/a", kinds=["deal.won", "deal.stage_changed"]
        ),
        services.create_endpoint(actor=admin, url="https://127.0.0.1:9/b", kinds=["deal.won"]),
        services.create_endpoint(actor=admin, url="https://127.0.0.1:9/c", kinds=["ticket.solved"]),
    ]


def test_a_client_created_is_delivered_with_its_event_row(admin, member, receiver):
    endpoint = services.create_endpoint(actor=admin, url=receiver.url, kinds=["client.created"])
    client = records.create_client(actor=member, name="Initech")
    delivery = Delivery.objects.get(endpoint=endpoint)
    event = Event.objects.get(pk=delivery.event_id)
    assert (event.kind, delivery.kind, delivery.status) == (
        "client.created",
        "client.created",
        "pending",
    )
    assert delivery.payload["id"] == client.pk


def test_one_change_on_several_topics_makes_one_delivery_per_endpoint_and_kind(
    endpoints, member, deal, stages
):
    records.win_deal(actor=member, deal=deal)
    assert Event.objects.filter(kind="deal.won").count() > 1  # the deal, its client, the board…
    made = sorted(Delivery.objects.values_list("endpoint__url", "kind"))
    assert made == [
        ("https://127.0.0.1:9/a", "deal.stage_changed"),
        ("https://127.0.0.1:9/a", "deal.won"),
        ("https://127.0.0.1:9/b", "deal.won"),
    ]


def test_a_reorder_within_a_column_is_no_stage_change(endpoints, member, deal):
    records.move_deal(actor=member, deal=deal, stage=deal.stage, position=3)
    assert not Delivery.objects.exists()


def test_only_a_solved_ticket_is_ticket_solved(endpoints, support_member, ticket):
    records.set_ticket_status(actor=support_member, ticket=ticket, status="open")
    assert not Delivery.objects.exists()
    records.set_ticket_status(actor=support_member, ticket=ticket, status="solved")
    assert list(Delivery.objects.values_list("kind", flat=True)) == ["ticket.solved"]


def test_a_rolled_back_write_leaves_no_delivery_and_no_job(endpoints, member, deal):
    from django_tasks_db.models import DBTaskResult

    jobs = DBTaskResult.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        records.win_deal(actor=member, deal=deal)
        assert Delivery.objects.count() == 3
        raise RuntimeError("the write fails after publishing")
    assert not Delivery.objects.exists()
    assert DBTaskResult.objects.count() == jobs


def test_switched_off_endpoints_get_nothing(endpoints, admin, member, deal):
    for endpoint in endpoints:
        services.update_endpoint(actor=admin, endpoint=endpoint, active=False)
    records.win_deal(actor=member, deal=deal)
    assert not Delivery.objects.exists()


def test_writes_nobody_subscribed_to_cost_no_webhook_query(admin, member, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.WEBHOOKS_ALLOW_PRIVATE = True
    services.create_endpoint(actor=admin, url="https://127.0.0.1:9/a", kinds=["ticket.solved"])
    records.create_client(actor=member, name="Warm-up")  # fills the cache of subscribed kinds
    with CaptureQueriesContext(connection) as queries:
        records.create_client(actor=member, name="Initech")
    assert not [query for query in queries if "webhooks_" in query["sql"]]
    services.create_endpoint(actor=admin, url="https://127.0.0.1:9/b", kinds=["client.created"])
    records.create_client(actor=member, name="Globex")  # the new subscription counts at once
    assert Delivery.objects.get().payload["object"]["name"] == "Globex"
