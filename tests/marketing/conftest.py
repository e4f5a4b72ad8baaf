"""Marketing fixtures: the records fixtures, the marketing department and its people."""

import pytest

from accounts.models import Role
from tests.factories import DepartmentFactory, UserFactory
from tests.records.conftest import acme, deal, defaults, pipeline, price, stages, ticket  # noqa: F401


@pytest.fixture
def marketing(db):
    return DepartmentFactory(name="Marketing", slug="marketing")


@pytest.fixture
def marketer(marketing):
    """A member of the marketing department: builds segments, campaigns and forms."""
    return UserFactory(role=Role.MEMBER, departments=[marketing], email="mia@example.com")
