"""The demo's email and calls: made through the real paths, and what a visitor sees."""

import pytest

from integrations.mail.models import EmailMessage, EmailThread, InboundAddress
from integrations.telephony.models import Call
from records.models import Task, TimelineEntry
from tests.demo.seeding import seeded_once


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with seeded_once(django_db_blocker) as seeded:
        yield seeded


def test_replies_are_threaded_with_what_was_sent(seeded, db):
    replies = EmailMessage.objects.filter(direction="in", is_automatic=False).exclude(
        in_reply_to=""
    )
    assert replies.exists()
    for reply in replies:
        answered = EmailMessage.objects.get(message_id=reply.in_reply_to)
        assert answered.thread_id == reply.thread_id
        assert answered.direction == "out" and answered.status == "sent"
        assert reply.timeline_entry.client_id == reply.client_id


def test_a_support_mail_opened_a_ticket_and_an_auto_reply_did_not(seeded, db):
    support = InboundAddress.objects.get(address__startswith="support@")
    assert support.opens_tickets
    ticketed = EmailThread.objects.filter(ticket__isnull=False)
    assert ticketed.count() == 1
    automatic = EmailMessage.objects.get(is_automatic=True)
    assert automatic.thread.ticket_id is None


def test_triage_a_private_thread_and_a_failed_send_are_there_to_see(seeded, db):
    assert EmailMessage.objects.filter(triage="waiting", client=None).count() == 2
    private = EmailThread.objects.get(private_to__isnull=False)
    entries = TimelineEntry.objects.filter(pk__in=private.messages.values("timeline_entry"))
    assert entries and all(entry.private_to_id == private.private_to_id for entry in entries)
    failed = EmailMessage.objects.get(status="failed")
    assert "550" in failed.failure_reason
    assert failed.timeline_entry.data["status"] == "failed"


def test_calls_are_on_timelines_and_a_missed_one_asks_for_a_callback(seeded, db):
    ended = Call.objects.filter(state="ended")
    assert ended.count() == 3
    for call in ended:
        entry = TimelineEntry.objects.get(kind="call", data__call=call.pk)
        assert entry.client_id == call.client_id and entry.data["duration"] > 0
    known_missed = Call.objects.get(state="missed", client__isnull=False)
    assert Task.objects.filter(pk=known_missed.callback_task_id).exists()
    assert Call.objects.filter(state="missed", client__isnull=True).count() == 1
