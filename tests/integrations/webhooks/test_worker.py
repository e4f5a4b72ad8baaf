"""Acceptance: a real ``run_worker`` process delivers a change to the receiver, retrying
after a failure at the moment the receiver's ``Retry-After`` asked for.

The worker runs on the servers' database (PostgreSQL, or a SQLite file on the embedded
default), so the data is made and read there (``server_db.run_code``).
"""

import pytest

from tests.integrations.webhooks.receiver import Answer
from tests.integrations.webhooks.test_delivery import documented_verify
from tests.jobs.test_worker_crash import STARTUP_SECONDS, Worker, wait_for
from tests.servers import migrated_sqlite, server_db  # noqa: F401 (fixtures)

# Both databases: SQLite locks differently from PostgreSQL.
pytestmark = pytest.mark.backend

# The endpoint is stored as it is: the SSRF check allows loopback only in the worker.
SEED = """
from django.db import transaction
from accounts.models import Role
from integrations.webhooks.models import Endpoint
from tests.factories import DepartmentFactory, UserFactory

with transaction.atomic():
    sales = DepartmentFactory(name="Sales", slug="sales")
    admin = UserFactory(role=Role.ADMIN, departments=[sales])
    endpoint = Endpoint.objects.create(url=sys.argv[1], kinds=["client.created"], created_by=admin)
    services.create_client(actor=UserFactory(departments=[sales]), name="Initech")
print(json.dumps({"secret": endpoint.secret}))
"""

STATE = """
from integrations.webhooks.models import Attempt, Delivery
delivery = Delivery.objects.get(kind="client.created")
codes = list(Attempt.objects.filter(delivery=delivery).values_list("response_code", flat=True))
print(json.dumps({"status": delivery.status, "codes": codes}))
"""


class TrustingDatabase:
    """The servers' database, with the settings workers need to reach the test receiver."""

    def __init__(self, database, certificate):
        self.database, self.certificate = database, certificate

    def env(self, **more) -> dict:
        return self.database.env(
            WEBHOOKS_ALLOW_PRIVATE="1", WEBHOOKS_CA_FILE=str(self.certificate), **more
        )


def test_a_worker_retries_a_failed_delivery_and_the_receiver_verifies_both(
    server_db,  # noqa: F811
    receiver,
    certificate,
    tmp_path,
):
    receiver.answer(Answer(503, headers={"Retry-After": "1"}), Answer(200))
    worker = Worker(TrustingDatabase(server_db, certificate[0]), tmp_path, "hooks")
    try:
        worker.start().wait_started()
        secret = server_db.run_code(SEED, receiver.url)["secret"]
        wait_for(
            lambda: server_db.run_code(STATE)["status"] == "succeeded",
            STARTUP_SECONDS,
            worker.output,
        )
    finally:
        worker.stop()
    assert server_db.run_code(STATE)["codes"] == [503, 200]
    first, second = receiver.requests
    assert first.body == second.body
    verify = documented_verify()
    assert verify(secret, first.headers, first.body) and verify(secret, second.headers, second.body)
