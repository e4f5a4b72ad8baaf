"""``manage.py poll_mail``: receive the IMAP mailbox's new mail now, or start the
recurring poll (``--every``; the Procfile's release line does). docs/EMAIL.md."""

from django.conf import settings

from integrations.mail.inbound.imap import configured_mailbox, poll, poll_mailbox
from workspace.jobs.recurring import RecurringJobCommand


class Command(RecurringJobCommand):
    help = "Receive the IMAP mailbox of MAIL_IMAP_URL (now, or as a recurring background task)."
    job = poll_mailbox
    what = "Polling the IMAP mailbox"

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=int,
            nargs="?",
            const=settings.MAIL_IMAP_POLL_SECONDS,
            metavar="SECONDS",
            help="Start a polling task that re-schedules itself every SECONDS (alone: "
            "MAIL_IMAP_POLL_SECONDS). Safe to run on every deploy: it does nothing while a "
            "cycle is already scheduled, or when MAIL_IMAP_URL is not set.",
        )

    def handle(self, *args, every=None, **options):
        if configured_mailbox() is None:
            self.stdout.write("MAIL_IMAP_URL is not set; no mailbox to poll.")
            return
        super().handle(*args, every=every, **options)

    def run_now(self) -> str:
        return f"Polled the mailbox: {poll(configured_mailbox())}."
