"""Tasks and handoffs arrive live: a real socket through the whole ASGI stack."""

import pytest
from channels.db import database_sync_to_async

from accounts.models import Role
from records import services
from tests.factories import DepartmentFactory, UserFactory
from tests.live.conftest import fresh_hub, live_settings  # noqa: F401 (fixtures)
from tests.live_helpers import Socket


@database_sync_to_async
def _team():
    sales = DepartmentFactory(name="Sales", slug="sales")
    support = DepartmentFactory(name="Support", slug="support")
    manager = UserFactory(role=Role.MANAGER, departments=[sales])
    member = UserFactory(role=Role.MEMBER, departments=[sales])
    outsider = UserFactory(role=Role.MEMBER, departments=[support])
    return sales, support, manager, member, outsider


@pytest.mark.django_db(transaction=True)
async def test_an_assigned_task_reaches_the_assignee_and_the_managers_board():
    sales, _, manager, member, outsider = await _team()
    mine, board = await Socket.open(member), await Socket.open(manager)
    await mine.subscribe({f"user.{member.pk}": None})
    await board.subscribe({f"tasks.{sales.pk}": None})
    stranger = await Socket.open(outsider)
    refused = await stranger.subscribe({f"tasks.{sales.pk}": None})
    assert refused[-1]["type"] == "live.error"
    await stranger.close()

    task = await database_sync_to_async(services.create_task)(
        actor=manager, assignee=member, title="Call Acme"
    )
    created, bell = await mine.receive_all(2)
    assert (created["kind"], created["payload"]["id"]) == ("task.created", task.pk)
    assert bell["kind"] == "notification.added"
    frame = await board.receive()
    assert (frame["topic"], frame["kind"]) == (f"tasks.{sales.pk}", "task.created")

    await database_sync_to_async(services.set_task_status)(actor=member, task=task, status="done")
    frame = await board.receive()
    assert (frame["kind"], frame["payload"]["status"]) == ("task.status", "done")
    await mine.close()
    await board.close()


@pytest.mark.django_db(transaction=True)
async def test_a_handoff_reaches_the_receiving_departments_inbox():
    sales, _, _, member, outsider = await _team()
    client = await database_sync_to_async(services.create_client)(actor=member, name="Acme")
    inbox = await Socket.open(member)
    await inbox.subscribe({f"handoffs.{sales.pk}": None})
    handoff = await database_sync_to_async(services.hand_off)(
        actor=outsider, client=client, to_department=sales, note="Wants a quote"
    )
    frame = await inbox.receive()
    assert (frame["kind"], frame["payload"]["id"]) == ("handoff.created", handoff.pk)
    await database_sync_to_async(services.accept_handoff)(actor=member, handoff=handoff)
    frame = await inbox.receive()
    assert (frame["kind"], frame["payload"]["status"]) == ("handoff.accepted", "accepted")
    await inbox.close()
