"""Every write to calendars (DESIGN §3): policy, validation, one transaction, people, live.

Times: services take aware datetimes (naive ones are read in the event's
``timezone``); an all-day event takes dates (or datetimes, of which the date
counts), its end *exclusive* as in iCalendar — a one-day event on 1 Dec is
start 1 Dec, end 2 Dec.

Repeating events: a change or cancellation names the occurrence by its
original start (``occurrence``) and a ``scope``: ``"this"`` (an override row,
or an EXDATE), ``"following"`` (the series ends before it and a new series
takes over from it), or ``"all"``. A series' start is its first occurrence: a
new rule moves the start to the first day it produces; a weekly series dragged
to another weekday repeats on that weekday. Changes to a whole series reach its
exceptions: a new time moves them along (by wall clock, like the occurrences);
details and people changed on the series change in each override that had the
series' old value (what was changed on one occurrence alone stays).

Locks: the series row (``select_for_update``) before people (``notify``).

Modules: ``create``, ``change`` (update, move), ``cancel``, ``answers`` (RSVP),
``exceptions`` (an import's EXDATEs and changed occurrences);
``people`` (attendees, double-booking) and ``base`` (times, rows, telling
people) are shared by them. Import the services from this package.
"""

from calendar_app.services.answers import rsvp
from calendar_app.services.base import (
    DETAIL_FIELDS,
    EDITABLE,
    SCOPES,
    TIME_FIELDS,
    DoubleBooked,
    StaleEvent,
)
from calendar_app.services.cancel import cancel_event
from calendar_app.services.change import move_event, update_event
from calendar_app.services.create import create_event
from calendar_app.services.exceptions import set_exceptions
from calendar_app.wording import event_link, local_when

__all__ = [
    "DETAIL_FIELDS",
    "EDITABLE",
    "SCOPES",
    "TIME_FIELDS",
    "DoubleBooked",
    "StaleEvent",
    "cancel_event",
    "create_event",
    "event_link",
    "local_when",
    "move_event",
    "rsvp",
    "set_exceptions",
    "update_event",
]
