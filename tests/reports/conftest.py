"""Reports fixtures: the records fixtures (people, pipeline, stages) and a fixed clock."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.records.conftest import acme, deal, defaults, pipeline, price, stages, ticket  # noqa: F401

UTC = ZoneInfo("UTC")


@pytest.fixture
def at(time_machine):
    """``at(2026, 3, 4, 10)``: move the clock there (UTC), still ticking; returns the moment."""

    def move(*parts):
        moment = datetime(*parts, tzinfo=UTC)
        time_machine.move_to(moment, tick=True)
        return moment

    return move
