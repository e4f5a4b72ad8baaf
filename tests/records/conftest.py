"""Records fixtures: data made through the services, as DESIGN §3 asks.

The default pipeline (Qualification … Won, Lost), loss reasons and SLA hours
are seeded by records' data migration (and put back after flushes, tests/conftest.py).
"""

from decimal import Decimal

import pytest

from records import services
from records.models import LossReason, Pipeline


@pytest.fixture
def defaults(db):
    """The migration's seed rows: the default pipeline, loss reasons, SLA hours (put back
    after every flush, tests/conftest.py)."""


@pytest.fixture
def pipeline(defaults):
    return Pipeline.objects.get(is_default=True)


@pytest.fixture
def stages(pipeline):
    return {stage.name: stage for stage in pipeline.stages.all()}


@pytest.fixture
def price(defaults):
    return LossReason.objects.get(name="Price")


@pytest.fixture
def acme(defaults, member, sales):
    """A client owned by ``member`` in Sales."""
    return services.create_client(actor=member, name="Acme GmbH", domain="acme.example")


@pytest.fixture
def contact(member, acme):
    return services.create_contact(
        actor=member, client=acme, name="Jo Acme", emails=["jo@acme.example"]
    )


@pytest.fixture
def deal(member, acme):
    return services.create_deal(actor=member, client=acme, title="Rollout", amount=Decimal(1000))


@pytest.fixture
def ticket(support_member, acme):
    return services.create_ticket(actor=support_member, client=acme, subject="Cannot log in")
