"""Webhook fixtures: the records fixtures, an admin, and a real HTTPS receiver on loopback."""

import pytest

from integrations.webhooks import services
from tests.integrations.webhooks.receiver import Receiver, make_certificate
from tests.records.conftest import acme, deal, defaults, pipeline, price, stages, ticket  # noqa: F401


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("webhooks-tls"))


@pytest.fixture
def receiver(certificate, settings):
    """The receiver, trusted and reachable (loopback is allowed for these tests)."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOKS_CA_FILE = str(certificate[0])
    settings.WEBHOOKS_READ_TIMEOUT = 1
    settings.WEBHOOKS_CONNECT_TIMEOUT = 1
    with Receiver(*certificate) as running:
        yield running


@pytest.fixture
def endpoint(admin, receiver):
    """Subscribed to every kind of the catalog."""
    from integrations.webhooks import catalog

    return services.create_endpoint(
        actor=admin, url=receiver.url, kinds=[kind.name for kind in catalog.KINDS]
    )
