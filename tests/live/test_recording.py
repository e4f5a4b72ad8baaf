"""``live.recording`` / ``request.live_events``: a write's answer carries its own event only."""

import pytest

from workspace import live
from workspace.live.outbox import recording

pytestmark = pytest.mark.django_db


def test_recording_collects_only_the_events_published_inside_the_block(member):
    live.publish(f"user.{member.pk}", "test.before")
    with recording() as published:
        event = live.publish(f"user.{member.pk}", "test.inside")
        with recording() as inner:
            nested = live.publish(f"user.{member.pk}", "test.nested")
    live.publish(f"user.{member.pk}", "test.after")
    assert published == [event]
    assert inner == [nested]
