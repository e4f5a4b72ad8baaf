"""The delivery job against a real HTTPS receiver: signature, retries, timeouts, giving up."""

import json
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from accounts.models import Notification
from integrations.webhooks import services
from integrations.webhooks.models import Attempt, Delivery, Endpoint
from integrations.webhooks.tasks import deliver
from records import services as records
from tests.integrations.webhooks.receiver import Answer

DOCS = Path(__file__).resolve().parents[3] / "docs" / "WEBHOOKS.md"


def documented_verify():
    """The ``verify`` function of docs/WEBHOOKS.md, exactly as a receiver would paste it."""
    recipe = re.search(r"```python\n(.*?)```", DOCS.read_text(), re.S).group(1)
    namespace = {}
    exec(recipe, namespace)  # noqa: S102 (our own documentation)
    return namespace["verify"]


def queued_runs(delivery) -> list:
    """When the retries queued for ``delivery`` are due (jobs to run at once, like the first
    attempt's, carry the backend's far-future placeholder instead)."""
    return [
        job.run_after
        for job in DBTaskResult.objects.filter(task_path__endswith="tasks.deliver")
        if job.args_kwargs["args"] == [delivery.pk] and job.run_after != get_date_max()
    ]


@pytest.fixture
def delivery(endpoint, member):
    records.create_client(actor=member, name="Initech")
    return Delivery.objects.get(endpoint=endpoint, kind="client.created")


def test_the_receiver_verifies_the_signature_with_the_documented_recipe(
    delivery, endpoint, receiver
):
    assert deliver.call(delivery.pk) == "succeeded"
    (request,) = receiver.requests
    verify = documented_verify()
    assert verify(endpoint.secret, request.headers, request.body)
    assert not verify("whsec_wrong", request.headers, request.body)
    assert not verify(endpoint.secret, request.headers, request.body.replace(b"Initech", b"Evil"))
    document = json.loads(request.body)
    assert document["id"] == request.headers["Workspace-Webhook-Id"] == str(delivery.uid)
    assert (document["kind"], document["data"]["id"]) == ("client.created", delivery.payload["id"])
    assert request.path == "/hooks/workspace"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_code, delivery.attempts) == ("succeeded", 200, 1)
    assert delivery.response_ms is not None and delivery.next_attempt_at is None


def test_an_old_timestamp_fails_verification(delivery, endpoint, receiver):
    deliver.call(delivery.pk)
    (request,) = receiver.requests
    replayed = dict(request.headers)
    stamp = str(int(replayed["Workspace-Webhook-Timestamp"]) - 3600)
    replayed["Workspace-Webhook-Timestamp"] = stamp
    assert not documented_verify()(endpoint.secret, replayed, request.body)


def test_a_server_error_is_retried_with_backoff_until_it_succeeds(delivery, receiver):
    receiver.answer(Answer(500, body=b"database down"), Answer(200))
    before = timezone.now()
    assert deliver.call(delivery.pk) == "failed"
    delivery.refresh_from_db()
    wait = delivery.next_attempt_at - before
    assert timedelta(seconds=24) <= wait <= timedelta(seconds=37)  # 30 s ± 20% jitter
    assert delivery.response_excerpt == "database down"
    assert queued_runs(delivery) == [delivery.next_attempt_at]

    assert deliver.call(delivery.pk) == "succeeded"
    assert len(receiver.requests) == 2
    attempts = list(
        Attempt.objects.filter(delivery=delivery).values_list("number", "response_code")
    )
    assert attempts == [(1, 500), (2, 200)]
    assert delivery.endpoint.__class__.objects.get().consecutive_failures == 0


def test_backoff_doubles_and_stops_at_the_retry_window(delivery, receiver):
    receiver.answer(Answer(503))
    waits = []
    for _ in range(3):
        before = timezone.now()
        deliver.call(delivery.pk)
        delivery.refresh_from_db()
        waits.append((delivery.next_attempt_at - before).total_seconds())
    assert 24 <= waits[0] <= 37 and 48 <= waits[1] <= 73 and 96 <= waits[2] <= 145
    Delivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - timedelta(days=3))
    assert deliver.call(delivery.pk) == "gave_up"
    delivery.refresh_from_db()
    assert delivery.next_attempt_at is None and delivery.attempts == 4


def test_retry_after_is_honoured(delivery, receiver):
    receiver.answer(Answer(429, headers={"Retry-After": "120"}), Answer(200))
    before = timezone.now()
    assert deliver.call(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert timedelta(seconds=119) <= delivery.next_attempt_at - before <= timedelta(seconds=122)


@pytest.mark.parametrize("status", [400, 404, 410])
def test_a_client_error_is_not_retried(delivery, receiver, status):
    receiver.answer(Answer(status))
    assert deliver.call(delivery.pk) == "gave_up"
    delivery.refresh_from_db()
    assert (delivery.response_code, delivery.next_attempt_at) == (status, None)
    assert queued_runs(delivery) == []


def test_a_redirect_is_not_followed(delivery, receiver):
    receiver.answer(Answer(302, headers={"Location": "https://127.0.0.1:1/elsewhere"}))
    assert deliver.call(delivery.pk) == "failed"
    assert len(receiver.requests) == 1


def test_a_hanging_endpoint_times_out(delivery, receiver):
    receiver.answer(Answer(200, delay=3))
    started = time.monotonic()
    assert deliver.call(delivery.pk) == "failed"
    assert time.monotonic() - started < 2.5  # the read timeout is 1 s in these tests
    delivery.refresh_from_db()
    assert delivery.error == "No answer within 1 s." and delivery.response_code is None


def test_an_endpoint_failing_again_and_again_is_switched_off_and_admins_told(
    endpoint, member, admin, receiver, settings
):
    settings.WEBHOOKS_DISABLE_AFTER = 2
    receiver.answer(Answer(500))
    for name in ("One", "Two", "Three"):
        records.create_client(actor=member, name=name)
    first, second, third = Delivery.objects.filter(kind="client.created").order_by("pk")
    assert deliver.call(first.pk) == "failed"
    assert deliver.call(second.pk) == "gave_up"
    endpoint.refresh_from_db()
    assert not endpoint.active
    assert endpoint.disabled_reason == "Switched off after 2 failed deliveries in a row."
    note = Notification.objects.get(recipient=admin, kind="webhook-disabled")
    assert endpoint.url in note.text and note.link == f"/integrations/webhooks/{endpoint.pk}/"
    assert deliver.call(third.pk) == "gave_up"  # not sent: the endpoint is off
    assert len(receiver.requests) == 2

    services.update_endpoint(actor=admin, endpoint=endpoint, active=True)
    endpoint.refresh_from_db()
    assert (endpoint.consecutive_failures, endpoint.disabled_reason) == (0, "")


def test_a_rotated_secret_signs_the_next_delivery(delivery, endpoint, admin, receiver):
    old = endpoint.secret
    services.rotate_secret(actor=admin, endpoint=endpoint)
    deliver.call(delivery.pk)
    (request,) = receiver.requests
    new = Endpoint.objects.get().secret
    assert new != old
    assert documented_verify()(new, request.headers, request.body)


def test_the_test_event_and_a_redelivery_reach_the_receiver(delivery, endpoint, admin, receiver):
    test = services.send_test_event(actor=admin, endpoint=endpoint)
    assert deliver.call(test.pk) == "succeeded"
    assert json.loads(receiver.requests[0].body)["kind"] == "webhook.test"

    deliver.call(delivery.pk)
    again = services.redeliver(actor=admin, delivery=delivery)
    assert deliver.call(again.pk) == "succeeded"
    first, second = (json.loads(request.body) for request in receiver.requests[1:])
    assert first == second  # the same id and data: the receiver can tell it is a repeat
    assert again.event_id == delivery.event_id and again.redelivery_of_id == delivery.pk
