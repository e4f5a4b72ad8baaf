"""``manage.py receive_mail``: the SMTP receiver (Procfile "mail"; docs/EMAIL.md)."""

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from integrations.mail.inbound.smtp import Receiver, parse_bind


class Command(BaseCommand):
    help = (
        "Receive mail for the inbound domain over SMTP (replies, BCC'd and forwarded mail) "
        "until stopped with SIGTERM or Ctrl-C."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind",
            default=settings.MAIL_RECEIVER_BIND,
            metavar="HOST:PORT",
            help="Where to listen (default MAIL_RECEIVER_BIND, now %(default)s).",
        )

    def handle(self, *args, bind, **options):
        try:
            host, port = parse_bind(bind)
        except ValueError as error:
            raise CommandError(str(error)) from None
        # aiosmtpd logs every command of every session at INFO; the receiver logs one
        # line a message (integrations.mail.inbound.smtp).
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        receiver = Receiver(host, port)
        try:
            receiver.start()
        except Exception as error:  # aiosmtpd reports a taken port as a timeout
            raise CommandError(f"Cannot listen on {bind}: {error}") from None
        self.stdout.write(
            f"Receiving mail for @{settings.MAIL_INBOUND_DOMAIN} on {host}:{port}.", ending="\n"
        )
        self.stdout.flush()
        stop.wait()
        receiver.shutdown()
        self.stdout.write("Mail receiver stopped.")
