#!/usr/bin/env python
"""Campaign benchmark: preparing a big campaign, and what sending one costs the pages.

1. Prepare: a static segment of ``--recipients`` contacts (distinct first addresses,
   each given a Consent row in bulk), a campaign to it scheduled now, and its prepare
   job (marketing.tasks.prepare_campaign) run and timed in this process.
2. Send: a real ``manage.py run_worker`` sends the campaign at ``--rate`` messages a
   minute to a local SMTP sink (aiosmtpd's Sink, a process of its own) for ``--seconds``, while this
   process times a few pages as a logged-in demo user: p50/p95 before the send and
   during it. The campaign is cancelled at the end (the rest stays queued).

    createdb -h 127.0.0.1 -U postgres ws_camp_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ws_camp_bench
    DEBUG=1 .venv/bin/python manage.py migrate
    DEBUG=1 .venv/bin/python manage.py seed_demo --scale 4000     # ~12k contacts
    .venv/bin/python bench/campaign_send.py   # --recipients 10000 --rate 600 --seconds 30

    .venv/bin/python bench/campaign_send.py --toy   # CI: 5 recipients of its own, 1 s

Each run makes a campaign of its own ("Bench send …"); earlier runs' are left alone.
``--toy`` makes its own marketer and five contacts instead of using the demo company's,
and exits 1 when nothing was sent or a page failed.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # never bench/: its modules must not hide the standard library's
from bench import toy  # noqa: E402 (after the path is right)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DB_CONN_MAX_AGE", "600")

PAGES = (
    ("client list", "records:client_list", ()),
    ("contact list", "records:contact_list", ()),
    ("home (dashboard)", "home", ()),
)
FIRST_SEND_SECONDS = 60  # the worker starts and sends the first message within this


def parse_args(argv: list[str]):

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=600, help="messages a minute")
    parser.add_argument("--seconds", type=float, default=30, help="how long to time the send")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page")
    return toy.parse_args(parser, argv, recipients=5, seconds=1, requests=1)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# --- 1. Prepare ---------------------------------------------------------------------


def bench_segment(count: int, contacts):
    """A static segment of ``count`` of ``contacts`` with distinct first addresses, all
    consenting."""
    from django.utils import timezone

    from marketing.models import Consent, Segment, SegmentMember, normalize_email

    chosen, seen = [], set()
    for pk, client_id, emails in (
        contacts.exclude(emails=[]).order_by("pk").values_list("pk", "client_id", "emails")
    ):
        email = normalize_email(emails[0])
        if email not in seen:
            seen.add(email)
            chosen.append((pk, client_id))
        if len(chosen) == count:
            break
    segment = Segment.objects.create(
        name=f"Bench send {timezone.now():%H:%M:%S}", kind=Segment.Kind.STATIC
    )
    SegmentMember.objects.bulk_create(
        (SegmentMember(segment=segment, contact_id=pk, client_id=client) for pk, client in chosen),
        batch_size=2000,
    )
    Consent.objects.bulk_create(
        (Consent(email=email, source=Consent.Source.IMPORT, text="Bench") for email in seen),
        batch_size=2000,
        ignore_conflicts=True,
    )
    return segment, len(chosen)


def toy_people(recipients: int):
    """A marketer of the toy run's own and ``recipients`` contacts (fresh addresses) of a
    client of theirs: the marketer and those contacts."""
    from records import services

    marketer = toy.person(department="marketing")
    client = services.create_client(actor=marketer, name=toy.unique("Toy campaign"))
    for n in range(recipients):
        address = f"{toy.unique(f'reader{n}')}@example.com"
        services.create_contact(actor=marketer, client=client, name=f"Reader {n}", emails=[address])
    return marketer, client.contacts.all()


def demo_people():
    """The demo company's first marketer, and all contacts."""
    from accounts.models import User
    from records.models import Contact

    marketer = User.objects.filter(departments__slug="marketing", is_active=True).first()
    return marketer, Contact.objects.all()


def prepare(args, marketer, contacts):
    from django_tasks_db.models import DBTaskResult

    from marketing.services import campaigns
    from marketing.tasks import prepare_campaign

    segment, count = bench_segment(args.recipients, contacts)
    campaign = campaigns.create_campaign(
        actor=marketer,
        name=segment.name,
        subject="Hello {{ contact.first_name|default:'there' }}",
        body="Our **news** for {{ client.name }}: [read it](https://news.example/read).",
        segment=segment,
        send_rate=args.rate,
    )
    campaigns.schedule_campaign(actor=marketer, campaign=campaign)
    job = DBTaskResult.objects.get(
        task_path=prepare_campaign.module_path, args_kwargs__args__0=campaign.pk
    )
    started = time.perf_counter()
    prepared = prepare_campaign.call(*job.args_kwargs["args"])
    seconds = time.perf_counter() - started
    job.delete()  # run here: the worker must not run it again
    print(f"prepare: {prepared:,} recipients ({count:,} contacts) in {seconds:.2f} s")
    return campaign


# --- 2. Send, and time the pages ----------------------------------------------------------


def time_pages(client, paths, requests: int) -> dict[str, list[float]]:
    timings = {label: [] for label, _path in paths}
    for _ in range(requests):
        for label, path in paths:
            started = time.perf_counter()
            response = client.get(path)
            timings[label].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
    return timings


def pages_client(person):
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    client = Client(HTTP_HOST="localhost")  # an allowed host of the default settings
    client.force_login(person)
    paths = [(label, reverse(name, args=args)) for label, name, args in PAGES]
    time_pages(client, paths, 3)  # warm up
    settings.DEBUG = False
    return client, paths


def start(*command: str, **env) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        [sys.executable, *command],
        cwd=ROOT,
        env=dict(os.environ, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def send(args, campaign, marketer, reader) -> int:
    """Time the pages (as ``reader``), then send with a worker to an SMTP sink (both
    processes of their own, as deployed: no GIL shared with the pages) while timing them
    again. Returns the messages sent in all."""
    from marketing.models import Recipient
    from marketing.services import campaigns
    from tests.mailserver import free_port

    client, paths = pages_client(reader)
    before = time_pages(client, paths, args.requests)
    port = free_port()
    sink = start("-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{port}")
    worker = start(
        *("manage.py", "run_worker", "--interval", "0.2", "--no-reload"),
        EMAIL_URL=f"smtp://127.0.0.1:{port}",
    )
    sent = Recipient.objects.filter(campaign=campaign, state=Recipient.State.SENT)
    try:
        first_send = time.monotonic() + FIRST_SEND_SECONDS
        while not sent.exists():  # the worker's start-up is not the send
            if time.monotonic() > first_send or worker.poll() is not None:
                print(f"BROKEN: nothing sent in {FIRST_SEND_SECONDS} s", file=sys.stderr)
                return 0
            time.sleep(0.1)
        started, first = time.monotonic(), sent.count()
        during = {label: [] for label, _path in paths}
        while time.monotonic() - started < args.seconds:
            for label, timings in time_pages(client, paths, 1).items():
                during[label].extend(timings)
        count, elapsed = sent.count() - first, time.monotonic() - started
    finally:
        for process in (worker, sink):
            process.send_signal(signal.SIGTERM)
            process.wait(30)
        campaign.refresh_from_db()
        if campaign.status in (campaign.Status.SCHEDULED, campaign.Status.SENDING):
            campaigns.cancel_campaign(actor=marketer, campaign=campaign)  # the rest stays queued
    print(
        f"send: {count:,} messages in {elapsed:.1f} s = {60 * count / elapsed:,.0f}/min "
        f"(campaign rate {args.rate}/min)"
    )
    print(
        f"{'page':<20} {'p50 before':>11} {'p95 before':>11} {'p50 during':>11} "
        f"{'p95 during':>11} {'n during':>9}"
    )
    for label, _path in paths:
        print(
            f"{label:<20} {statistics.median(before[label]):>9.1f}ms "
            f"{percentile(before[label], 0.95):>9.1f}ms "
            f"{statistics.median(during[label]):>9.1f}ms "
            f"{percentile(during[label], 0.95):>9.1f}ms {len(during[label]):>9}"
        )
    return sent.count()


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    import django

    django.setup()
    from accounts.models import User
    from demo.people import LOGIN_EMAIL

    marketer, contacts = toy_people(args.recipients) if args.toy else demo_people()
    reader = marketer if args.toy else User.objects.get(email=LOGIN_EMAIL)
    campaign = prepare(args, marketer, contacts)
    return 0 if send(args, campaign, marketer, reader) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
