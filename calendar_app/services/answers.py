"""Invitees' answers (RSVP)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from calendar_app import policies
from calendar_app.models import Attendee, Event
from calendar_app.services.base import (
    lock_series,
    publish,
    require,
    tell,
)

ANSWERS = (Attendee.Response.ACCEPTED, Attendee.Response.TENTATIVE, Attendee.Response.DECLINED)


def rsvp(*, actor: User, event: Event, response: str) -> Attendee:
    """The actor's answer to an invitation (accepted, tentative, declined).

    Answering a series answers its changed occurrences too, except those the
    person answered differently on their own; answering an override row answers
    that occurrence only. The organizer sees it live on the event page and in the bell.
    """
    if response not in ANSWERS:
        raise ValidationError("Answer going, maybe or not going.", code="invalid_response")
    require(policies.can_rsvp(actor, event), "You are not invited to this event.")
    with transaction.atomic():
        series = lock_series(event)
        mine = Attendee.objects.select_for_update().filter(event_id=event.pk, user=actor)
        attendee = mine.first()
        if attendee is None:
            raise PermissionDenied("You are no longer invited to this event.")
        if attendee.response == response:
            return attendee
        previous = attendee.response
        attendee.response, attendee.responded_at = response, timezone.now()
        attendee.save(update_fields=["response", "responded_at"])
        if event.pk == series.pk:
            Attendee.objects.filter(event__series=series, user=actor, response=previous).update(
                response=response, responded_at=attendee.responded_at
            )
        label = Attendee.Response(response).label.lower()
        tell(
            actor,
            event,
            {event.organizer_id},
            "event-rsvp",
            f"{actor} answered “{label}” to “{event.title}”.",
        )
        publish(event, "rsvp", {event.organizer_id, actor.pk})
    return attendee
