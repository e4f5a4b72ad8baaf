"""Who may see and do what with calendars and events (DESIGN §6).

The same functions guard views, the JSON feed, socket subscriptions and services.

* Every active member of staff may look at any colleague's calendar (to find
  a time): they see normal events in full and **private** events only as
  “Busy”, with no title, place, description, attendees or link. Only the
  organizer and the invited see a private event's details — on every path:
  pages, the JSON feed, free/busy, the slot finder, search, iCalendar and
  live events.
* The organizer (and an admin) edits, moves and cancels an event and decides
  who is invited; attendees answer for themselves (RSVP).
* Linking an event to a client or deal needs the right to see it (all staff
  see records).
"""

from django.http import Http404

from calendar_app.models import Event
from records.policies import can_view


def answers_of(event: Event) -> dict[int, str]:
    """``{user id: response}`` of the colleagues invited to ``event`` (organizer included).

    From the ``answers`` that ``selectors.calendar_occurrences`` attaches to the
    rows it reads, else from the event's (prefetched) attendees.
    """
    answers = getattr(event, "answers", None)
    if answers is None:
        answers = {a.user_id: a.response for a in event.attendees.all() if a.user_id}
    return answers


def attendee_ids(event: Event) -> set[int]:
    """The staff invited to ``event`` (organizer included), cached on the instance."""
    cached = getattr(event, "_attendee_user_ids", None)
    if cached is None:
        cached = event._attendee_user_ids = set(answers_of(event))
    return cached


def is_involved(user, event: Event) -> bool:
    return user.pk == event.organizer_id or user.pk in attendee_ids(event)


def can_see_details(user, event: Event) -> bool:
    """Title, description, place, attendees: for normal events anyone; private ones, the invited."""
    return can_view(user) and (not event.is_private or is_involved(user, event))


def can_view_calendar(user, owner) -> bool:
    return can_view(user) and owner.is_active


def can_create_event(user) -> bool:
    return can_view(user)


def can_edit_event(user, event: Event) -> bool:
    return can_view(user) and (user.pk == event.organizer_id or user.is_admin)


def can_rsvp(user, event: Event) -> bool:
    return can_view(user) and user.pk in attendee_ids(event) and user.pk != event.organizer_id


def access_event(user, pk) -> Event:
    """The event, or one 404 for missing, cancelled-and-gone and others' private events."""
    try:
        event = (
            Event.objects.select_related("organizer", "client", "deal", "series")
            .prefetch_related("attendees__user")
            .get(pk=pk)
        )
    except (Event.DoesNotExist, ValueError, TypeError):
        raise Http404("No such event.") from None
    if not can_see_details(user, event):
        raise Http404("No such event.")
    return event


# --- Live topics -----------------------------------------------------------------


def can_follow_calendar(user, key: str) -> bool:
    """``calendar.<user id>``: anyone who may look at that calendar (events carry no titles)."""
    from accounts.models import User

    owner = User.objects.filter(pk=key if key.isdigit() else None, is_active=True).first()
    return owner is not None and can_view_calendar(user, owner)


def can_follow_event(user, key: str) -> bool:
    """``calevent.<id>``: an event's page (answers, details), for those who see its details."""
    event = Event.objects.filter(pk=key if key.isdigit() else None).first()
    return event is not None and can_see_details(user, event)
