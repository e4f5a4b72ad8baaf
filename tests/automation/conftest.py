"""Fixtures of the automation tests (tests/automation/helpers.py has the functions)."""

import pytest
from django.core.cache import cache

from automation import actions
from automation.listeners import LISTENED_CACHE_KEY
from tests.automation.helpers import Probe, make_rule
from tests.servers import migrated_sqlite, server_db  # noqa: F401 (fixtures: real workers)


@pytest.fixture
def rule_factory(admin):
    """``rule_factory(trigger=..., actions=[...], **fields)``: an enabled rule owned by
    ``admin`` unless ``owner`` is given (see helpers.make_rule)."""

    def make(**fields):
        fields.setdefault("owner", admin)
        return make_rule(**fields)

    return make


@pytest.fixture(autouse=True)
def fresh_listened_kinds():
    """Each test starts and ends with the listener's cache empty: the rules a cached set
    came from are rolled back with the test that made them."""
    cache.delete(LISTENED_CACHE_KEY)
    yield
    cache.delete(LISTENED_CACHE_KEY)


@pytest.fixture
def probe(monkeypatch):
    """The test-only ``probe`` and ``bump`` actions (helpers.Probe), in this process only."""
    probe = Probe()
    for action_type in probe.action_types():
        monkeypatch.setitem(actions.CATALOG, action_type.key, action_type)
    return probe
