"""Chat test data, made through the services (rooms, members, messages), and its fixtures.

A test module names the fixtures it uses at module level, so pytest finds them
without a shared conftest (importing them by name would trip ruff's F811, and
``pytest_plugins`` warns that this module cannot be assertion-rewritten)::

    from tests.chat import factories

    ana, ben = factories.ana, factories.ben
"""

from itertools import count

import pytest

from accounts.models import Role
from chat import services
from chat.models import Message, Room
from records import services as record_services
from tests.factories import DepartmentFactory, UserFactory

_client_ids = count(1)


def client_id() -> str:
    """A fresh id, as a browser makes one up for each send."""
    return f"c-{next(_client_ids)}"


def post(actor, room: Room, body: str = "Hello", **kwargs) -> Message:
    message, created = services.post_message(actor=actor, room=room, body=body, **kwargs)
    assert created
    return message


def client_room(actor, name: str = "Acme GmbH") -> Room:
    client = record_services.create_client(actor=actor, name=name)
    return services.open_client_room(client=client)


def group_room(owner, *members, private: bool = False, name: str = "Launch") -> Room:
    return services.create_room(actor=owner, name=name, private=private, members=members)


def direct(actor, *people) -> Room:
    return services.open_direct(actor=actor, people=people)


# --- Fixtures: Ana and Ben in Sales, Cy in Support, Ada an admin of Management ---------


@pytest.fixture
def ana(sales):
    return UserFactory(full_name="Ana Lima", email="ana@example.com", departments=[sales])


@pytest.fixture
def ben(sales):
    return UserFactory(full_name="Ben Ode", email="ben@example.com", departments=[sales])


@pytest.fixture
def cy(support):
    return UserFactory(full_name="Cy Park", email="cy@example.com", departments=[support])


@pytest.fixture
def ada(db):
    """An admin in none of the rooms' departments: admins see no private room."""
    management = DepartmentFactory(name="Management", slug="management")
    return UserFactory(
        full_name="Ada Root", email="ada@example.com", role=Role.ADMIN, departments=[management]
    )


@pytest.fixture
def acme_room(ana):
    return client_room(ana)


@pytest.fixture
def dm(ana, ben):
    return direct(ana, ben)


@pytest.fixture
def private_room(ana, ben):
    return group_room(ana, ben, private=True, name="Secret plans")


@pytest.fixture
def public_room(ana, ben):
    return group_room(ana, ben, name="Launch")
