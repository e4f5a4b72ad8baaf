import pytest
from django.conf import settings
from django.test import TransactionTestCase, override_settings
from django.utils import timezone

from accounts.models import Role
from tests import flushing, servers
from tests.factories import DepartmentFactory, UserFactory
from workspace import moments


@pytest.fixture(scope="session", autouse=True)
def services_reachable():
    """When CI points the suite at Redis, an unreachable Redis fails the run, loudly."""
    if settings.REDIS_URL:
        servers.suite_redis(socket_connect_timeout=5, socket_timeout=5).ping()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """pytest-django's, and at the end of the run the daphnes and serverctl helpers kept
    between tests (tests/servers.py) stop before the test database is dropped."""
    yield
    servers.close_shared_databases()


@pytest.fixture(scope="session", autouse=True)
def quick_flush():
    """Transactional tests end by deleting the rows they left, not by Django's flush
    (TRUNCATE of every table and post_migrate): tests/flushing.py."""
    original = TransactionTestCase._fixture_teardown
    TransactionTestCase._fixture_teardown = flushing.fixture_teardown
    yield
    TransactionTestCase._fixture_teardown = original


@pytest.fixture(scope="session", autouse=True)
def reports_computed_each_time():
    """Reports are cached per change (reports/caching.py); a test's data made without a
    service publishes no change, so a cached report of another test could answer.
    Tests of the cache itself turn it on (tests/reports/test_live.py)."""
    with override_settings(REPORTS_CACHE_SECONDS=0):
        yield


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """Production hashing costs ~0.3 s a password; tests create hundreds of people."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def sales(db):
    return DepartmentFactory(name="Sales", slug="sales")


@pytest.fixture
def support(db):
    return DepartmentFactory(name="Support", slug="support")


@pytest.fixture
def admin(sales):
    return UserFactory(role=Role.ADMIN, is_staff=True, departments=[sales])


@pytest.fixture
def sales_manager(sales):
    return UserFactory(role=Role.MANAGER, departments=[sales])


@pytest.fixture
def support_manager(support):
    return UserFactory(role=Role.MANAGER, departments=[support])


@pytest.fixture
def member(sales):
    return UserFactory(role=Role.MEMBER, departments=[sales])


@pytest.fixture
def support_member(support):
    return UserFactory(role=Role.MEMBER, departments=[support])


@pytest.fixture
async def hub(settings):
    """A socket test outside tests/live: no timed sweeps; the process's hub stopped afterwards."""
    from workspace.live.hub import stop_hub

    settings.LIVE_SWEEP_SECONDS = 0
    settings.LIVE_LINGER_SECONDS = 0
    yield
    await stop_hub()


@pytest.fixture
def noon_for(time_machine):
    """``noon_for(person)``: the clock, still ticking, at noon of today in ``person``'s zone,
    so what falls on "today" does not depend on the hour the suite runs at."""

    def move(person):
        local = timezone.localtime(timezone.now(), moments.zone(person.timezone))
        noon = local.replace(hour=12, minute=0, second=0, microsecond=0)
        time_machine.move_to(noon, tick=True)
        return noon

    return move
