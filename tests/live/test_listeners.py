"""Listeners hear a change once, in the writer's transaction, with its event rows."""

import pytest

from workspace import live
from workspace.live import listeners

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard(monkeypatch):
    """What a listener of "test." kinds heard: (kind, payload, topics, its event ids)."""
    heard = []
    monkeypatch.setattr(listeners, "_listeners", [])

    def listener(kind, payload, topics):
        heard.append((kind, payload, list(topics), [event.id for event in live.told_events()]))

    live.register_listener("test.", listener)
    return heard


def test_a_change_on_several_topics_is_heard_once_with_each_topics_row(heard, member, admin):
    topics = [f"user.{member.pk}", f"user.{admin.pk}"]
    published = live.publish_each(topics, "test.changed", {"id": 7})

    assert heard == [("test.changed", {"id": 7}, topics, [event.id for event in published])]
    assert live.told_events() == ()  # outside a listener: nothing


def test_kinds_of_another_prefix_are_not_heard(heard, member):
    live.publish(f"user.{member.pk}", "other.changed")
    assert heard == []


def test_a_prefix_must_look_like_an_event_kind():
    with pytest.raises(ValueError, match="not an event-kind prefix"):
        live.register_listener("Deal changed", print)
