"""Acceptance: a real worker killed mid-campaign, a second one resumes, and every contact
receives exactly one email.

Design (marketing/tasks.py): each message is claimed (row ``sending``, committed),
handed to the SMTP server, then marked ``sent`` (committed). The SMTP server here
kills the first worker with SIGKILL while it is handing over the K-th message — after
the server has the message, before the worker hears "250". So that message arrived,
but its row stays ``sending``: whether it went out is unknown to the database. The
dead worker's batch job is given back after a lease (workspace/jobs/) and rerun by
the second worker, which marks the row ``unconfirmed`` (it is older than a lease:
no live worker holds it) and never sends it again, then sends everyone else. So the
server receives each address exactly once: the first K from the killed worker (the
K-th unconfirmed), the rest from the second; none twice, none missing.

Workers run on the test's database (PostgreSQL, or a SQLite file on the embedded
default) and send through the SMTP server this test runs, in batches of three.
"""

import os
import signal

import pytest
from aiosmtpd.controller import Controller

from tests.jobs.test_worker_crash import STARTUP_SECONDS, Worker, wait_for
from tests.mailserver import Inbox, free_port
from tests.servers import migrated_sqlite, server_db  # noqa: F401 (fixtures)

# Both databases: SQLite locks differently from PostgreSQL.
pytestmark = pytest.mark.backend

CONTACTS = 7
KILL_AT = 2  # the killed worker dies handing over its second message, mid-batch
LEASE = 2

SEED = """
from django.db import transaction
from marketing.services import campaigns
from tests.factories import DepartmentFactory, UserFactory
from tests.marketing.campaigning import consent, people, ready_campaign, static_segment

count = int(sys.argv[1])
with transaction.atomic():
    owner = UserFactory(departments=[DepartmentFactory(name="Sales", slug="sales")])
    marketer = UserFactory(departments=[DepartmentFactory(name="Marketing", slug="marketing")])
    client = services.create_client(actor=owner, name="Acme GmbH")
    contacts = people(owner, client, [f"Person{n} Test" for n in range(count)])
    consent(*(contact.emails[0] for contact in contacts))
    campaign = ready_campaign(marketer, static_segment(contacts), send_rate=6000)
    campaigns.schedule_campaign(actor=marketer, campaign=campaign)
print(json.dumps({"campaign": campaign.pk, "emails": [c.emails[0] for c in contacts]}))
"""

STATE = """
from marketing.models import Campaign
campaign = Campaign.objects.get(pk=int(sys.argv[1]))
states = dict(campaign.recipients.values_list("email", "state"))
print(json.dumps({"status": campaign.status, "states": states}))
"""


class KillingInbox(Inbox):
    """Keeps messages; on the K-th, SIGKILLs the worker before answering the DATA."""

    def __init__(self, kill_at: int):
        super().__init__()
        self.kill_at = kill_at
        self.victim = None

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if len(self.messages) == self.kill_at:
            os.kill(self.victim.process.pid, signal.SIGKILL)
        return answer


class MailingDatabase:
    """The servers' database, with the environment workers need to send mail."""

    def __init__(self, database, **extra):
        self.database, self.extra = database, extra

    def env(self, **more) -> dict:
        return self.database.env(**self.extra, **more)


@pytest.fixture
def inbox():
    handler = KillingInbox(KILL_AT)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


def test_worker_killed_mid_campaign_each_gets_one_email(server_db, inbox, tmp_path):  # noqa: F811
    database = MailingDatabase(
        server_db, EMAIL_URL=f"smtp://127.0.0.1:{inbox.port}", MARKETING_BATCH_SIZE="3"
    )
    first, second = (Worker(database, tmp_path, name) for name in ("first", "second"))
    try:
        inbox.victim = first.start().wait_started()
        seeded = server_db.run_code(SEED, str(CONTACTS))

        wait_for(lambda: first.process.poll() is not None, STARTUP_SECONDS, first.output)
        second.start()

        def state():
            return server_db.run_code(STATE, str(seeded["campaign"]))

        wait_for(lambda: state()["status"] == "sent", STARTUP_SECONDS + 10, second.output)
    finally:
        for worker in (first, second):
            if worker.process:
                worker.stop()

    received = [message["To"] for message in inbox.messages]
    assert sorted(received) == sorted(seeded["emails"])  # each exactly once, none missing
    in_flight = received[KILL_AT - 1]
    states = state()["states"]
    assert states.pop(in_flight) == "unconfirmed"
    assert set(states.values()) == {"sent"}
