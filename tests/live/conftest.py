import copy
import uuid

import pytest
from channels.db import database_sync_to_async

from tests.factories import UserFactory
from tests.servers import migrated_sqlite, serve, server_db  # noqa: F401 (fixtures)
from workspace import live
from workspace.live.hub import stop_hub


def probe_policy(user, key: str) -> bool:
    """Test topics: ``probe.open`` for everyone, ``probe.u<id>`` for that user only."""
    return key == "open" or key == f"u{user.pk}"


live.register_topic("probe", probe_policy)


@pytest.fixture(autouse=True)
def live_settings(settings):
    """Each test gets its own channel-layer prefix (a shared Redis stays quiet between
    test runs) and no timed sweeps unless it asks for them."""
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    if "prefix" in layers["default"].get("CONFIG", {}):
        layers["default"]["CONFIG"]["prefix"] = f"wstest{uuid.uuid4().hex[:10]}"
    settings.CHANNEL_LAYERS = layers  # also makes Channels build fresh layer instances
    settings.LIVE_SWEEP_SECONDS = 0
    settings.LIVE_LINGER_SECONDS = 0
    return settings


@pytest.fixture
async def ana(transactional_db):
    return await database_sync_to_async(UserFactory)(full_name="Ana Lima")


@pytest.fixture
async def ben(transactional_db):
    return await database_sync_to_async(UserFactory)(full_name="Ben Okafor")


@pytest.fixture(autouse=True)
async def fresh_hub():
    yield
    await stop_hub()
