"""Calendar test helpers: events made through the service, wall-clock times, people.

``make_event`` and ``berlin`` are plain functions (import them); the people
are fixtures. Dates are in 2027, after the clock of any test run, so
reminders are never in the past. In 2027 Europe/Berlin changes to summer time
on 28 March and back on 31 October; America/New_York on 14 March and 7 November.
"""

import zoneinfo
from datetime import datetime, timedelta

import pytest

from calendar_app import services
from tests.factories import UserFactory

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def berlin(*fields) -> datetime:
    """A Berlin wall-clock time: ``berlin(2027, 3, 29, 9)`` is 9:00 summer time."""
    return datetime(*fields, tzinfo=BERLIN)


def make_event(organizer, **fields):
    """An event made by ``services.create_event`` (notifications, reminder, live events and all).

    Defaults: “Planning”, Monday 1 March 2027, 10:00 to 11:00 Berlin time.
    """
    fields.setdefault("title", "Planning")
    fields.setdefault("start", berlin(2027, 3, 1, 10))
    if "end" not in fields:
        fields["end"] = fields["start"] + timedelta(hours=1)
    return services.create_event(actor=organizer, **fields)


def form_data(**changes) -> dict:
    """A valid new-event form: Tue 4 Mar 2031, 10:00 to 11:00 in Berlin."""
    data = {
        "title": "Kick-off",
        "start_date": "2031-03-04",
        "start_time": "10:00",
        "end_date": "2031-03-04",
        "end_time": "11:00",
        "timezone": "Europe/Berlin",
        "repeat": "",
        "interval": "1",
        "ends": "never",
        "visibility": "normal",
        "reminder": "10",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def organizer(sales):
    return UserFactory(full_name="Olga Organizer", departments=[sales])


@pytest.fixture
def invitee(sales):
    return UserFactory(full_name="Ivan Invitee", departments=[sales])


@pytest.fixture
def colleague(support):
    """Staff who is not invited."""
    return UserFactory(full_name="Cora Colleague", departments=[support])
