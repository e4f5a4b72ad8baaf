"""The IMAP poller (integrations/mail/inbound/imap.py) against a real IMAP server (pymap)."""

import imaplib
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.utils import timezone

from integrations.mail.inbound.imap import (
    Mailbox,
    batches,
    mailbox_from_url,
    poll,
    poll_mailbox,
)
from integrations.mail.models import EmailMessage
from integrations.mail.services import incoming
from tests.integrations.mail.inbound_helpers import acme_with_ana, mail
from tests.mailserver import imap_server
from workspace.jobs.recurring import jobs_of

SEEN = r"\Seen"


@pytest.fixture
def mailbox(db, settings):
    with imap_server() as running:
        settings.MAIL_IMAP_URL = running.url
        yield running


@pytest.fixture
def acme(member):
    return acme_with_ana(member)


def numbered(n: int, message_id: str = "") -> bytes:
    return mail(f"Question {n}", message_id=message_id or f"<q{n}@acme.example>")


def stored_ids() -> list[str]:
    return sorted(EmailMessage.objects.values_list("message_id", flat=True))


def test_unseen_mail_is_stored_once_and_flagged_seen(mailbox, acme):
    mailbox.append(numbered(1), numbered(2))
    mailbox.append(numbered(3), seen=True)  # someone read it in a mail client: not ours to take

    assert poll_mailbox.call() == "2 stored"

    assert stored_ids() == ["q1@acme.example", "q2@acme.example"]
    assert set(EmailMessage.objects.values_list("source", "client_id")) == {("imap", acme.pk)}
    assert all(SEEN in flags for flags in mailbox.flags().values())
    assert poll_mailbox.call() == "no new mail"
    assert len(stored_ids()) == 2


def test_batches_and_duplicates(mailbox, acme):
    mailbox.append(*(numbered(n) for n in range(7)), numbered(99, message_id="<q1@acme.example>"))
    summary = poll(mailbox_from_url(mailbox.url), batch_size=3)
    assert (summary.outcomes, summary.failed) == ({"stored": 7, "duplicate": 1}, 0)
    assert len(stored_ids()) == 7
    assert mailbox.unseen() == 0


def test_a_message_that_fails_stays_unseen_and_does_not_block_the_others(
    mailbox, acme, monkeypatch
):
    real_receive = incoming.receive

    def fails_on_the_second(raw, **kwargs):
        if b"Question 2" in raw:
            raise RuntimeError("a bug, or the database gone for a moment")
        return real_receive(raw, **kwargs)

    monkeypatch.setattr(incoming, "receive", fails_on_the_second)
    mailbox.append(numbered(1), numbered(2), numbered(3))

    summary = str(poll(mailbox_from_url(mailbox.url)))
    assert summary == "2 stored; 1 failed, left unseen for the next poll"
    assert stored_ids() == ["q1@acme.example", "q3@acme.example"]
    assert mailbox.unseen() == 1

    monkeypatch.setattr(incoming, "receive", real_receive)  # fixed: the next poll takes it
    assert poll_mailbox.call() == "1 stored"
    assert len(stored_ids()) == 3
    assert mailbox.unseen() == 0


def test_malformed_mail_does_not_block_the_batch(mailbox, acme):
    garbage = b"\xff\xfe not a mail \x00\r\nSubject: \xe4\xf6\xfc\r\n\r\n--b\r\n"
    mailbox.append(numbered(1), garbage, numbered(2))
    summary = poll(mailbox_from_url(mailbox.url))
    assert summary.failed == 0
    assert sum(summary.outcomes.values()) == 3
    assert {"q1@acme.example", "q2@acme.example"} <= set(stored_ids())
    assert mailbox.unseen() == 0


def test_a_message_over_the_refusal_size_is_not_fetched(mailbox, acme, settings):
    settings.MAIL_REFUSE_BYTES = 20_000
    mailbox.append(numbered(1), mail("Huge", body=("x" * 70 + "\n") * 400), numbered(2))
    assert poll_mailbox.call() == "1 refused, 2 stored"
    assert stored_ids() == ["q1@acme.example", "q2@acme.example"]
    assert mailbox.unseen() == 0


def test_batches_keep_to_a_count_and_a_byte_budget():
    sizes = {b"1": 10, b"2": 10, b"3": 10, b"4": 50, b"5": 10, b"6": 10}
    assert list(batches(sizes, most=2, budget=100)) == [[b"1", b"2"], [b"3", b"4"], [b"5", b"6"]]
    assert list(batches(sizes, most=9, budget=40)) == [[b"1", b"2", b"3"], [b"4"], [b"5", b"6"]]
    assert list(batches({}, most=9, budget=40)) == []


def test_a_wrong_password_fails_loudly_and_takes_nothing(mailbox):
    mailbox.append(numbered(1))
    wrong = mailbox.url.replace(mailbox.password, "wrong")
    with pytest.raises(imaplib.IMAP4.error):
        poll(mailbox_from_url(wrong))
    assert mailbox.unseen() == 1


def test_the_recurring_job_schedules_its_next_run(mailbox, settings):
    started = timezone.now()
    assert poll_mailbox.call(every_seconds=120) == "no new mail"
    [queued] = jobs_of(poll_mailbox, TaskResultStatus.READY)
    assert queued.args_kwargs["args"] == [120]
    assert queued.run_after >= started + timedelta(seconds=120)

    settings.MAIL_IMAP_URL = ""  # no longer configured: the cycle ends
    queued.delete()
    assert poll_mailbox.call(every_seconds=120) == "MAIL_IMAP_URL is not set; nothing polled."
    assert not jobs_of(poll_mailbox, TaskResultStatus.READY).exists()


def test_the_command(mailbox, acme, settings, capsys):
    mailbox.append(numbered(1))
    call_command("poll_mail")
    assert "Polled the mailbox: 1 stored." in capsys.readouterr().out

    settings.MAIL_IMAP_POLL_SECONDS = 90
    call_command("poll_mail", "--every")
    assert "repeat every 90 s" in capsys.readouterr().out
    call_command("poll_mail", "--every")
    assert "already scheduled" in capsys.readouterr().out

    settings.MAIL_IMAP_URL = ""
    call_command("poll_mail", "--every")
    assert "MAIL_IMAP_URL is not set" in capsys.readouterr().out


def test_the_url():
    assert mailbox_from_url("imaps://me%40example.com:p%2Fw@imap.example.com/Work%20mail") == (
        Mailbox("imap.example.com", 993, "me@example.com", "p/w", "Work mail", tls=True)
    )
    assert mailbox_from_url("imap://u:p@localhost:1143") == (
        Mailbox("localhost", 1143, "u", "p", "INBOX", tls=False)
    )
    for url, problem in (
        ("pop3://u:p@host/", "scheme 'pop3' is unknown"),
        ("imap://host/INBOX", "needs a user, a password and a host"),
        ("imap://u@host/", "needs a user, a password and a host"),
        ("imap://u:p@host:port/", "port that is not a number"),
    ):
        with pytest.raises(ImproperlyConfigured, match=problem):
            mailbox_from_url(url)
