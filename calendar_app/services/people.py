"""Who is in an event: colleagues and guests invited, copied to overrides, and checked
for double-booking."""

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from calendar_app.models import Attendee, Event
from calendar_app.recurrence import first_spans
from calendar_app.selectors import busy_blocks
from calendar_app.services.base import (
    Change,
    DoubleBooked,
)

DOUBLE_BOOKING_CHECKS = 20  # occurrences of a series checked for clashes


def add_organizer(event: Event) -> None:
    Attendee.of_organizer(event, timezone.now()).save()


def sync_staff(event: Event, users) -> tuple[set[int], set[int]]:
    """Invite exactly these colleagues (the organizer stays); returns (added, removed) ids.

    Those who stay keep their answers. Only people still working here can be
    newly invited.
    """
    wanted = {user.pk: user for user in users if user.pk != event.organizer_id}
    invited = event.attendees.filter(user__isnull=False, is_organizer=False)
    current = set(invited.values_list("user_id", flat=True))
    new = [user for pk, user in wanted.items() if pk not in current]
    gone = [str(user) for user in new if not user.is_active]
    if gone:
        raise ValidationError(
            {"attendees": f"{', '.join(gone)} no longer works here and cannot be invited."}
        )
    removed = current - set(wanted)
    invited.filter(user_id__in=removed).delete()
    Attendee.objects.bulk_create(Attendee.of_colleague(event, user) for user in new)
    return {user.pk for user in new}, removed


def sync_guests(event: Event, contacts) -> tuple[set[str], set[str]]:
    """Invite exactly these contacts as guests; returns the (added, removed) email addresses.

    Guests who came without a contact (an imported invitation's) stay.
    """
    wanted = {}
    for contact in contacts:
        wanted.setdefault(_guest_email(contact), contact)
    guests = event.attendees.filter(user__isnull=True)
    present = set(guests.values_list("email", flat=True))
    leaving = guests.filter(contact__isnull=False).exclude(email__in=list(wanted))
    removed = set(leaving.values_list("email", flat=True))
    leaving.delete()
    added = [email for email in wanted if email not in present]
    Attendee.objects.bulk_create(
        Attendee(event=event, contact=wanted[email], name=wanted[email].name, email=email)
        for email in added
    )
    return set(added), removed


def _guest_email(contact) -> str:
    emails = [email for email in (contact.emails or []) if email]
    if not emails:
        raise ValidationError(
            {"guests": f"{contact.name} has no email address, so cannot be invited."}
        )
    return emails[0].strip().lower()


def attendee_copies(attendees, target: Event) -> list[Attendee]:
    """Unsaved copies of ``attendees`` (with their answers) for ``target``."""
    return [
        Attendee(
            event=target,
            user_id=attendee.user_id,
            contact_id=attendee.contact_id,
            name=attendee.name,
            email=attendee.email,
            is_organizer=attendee.is_organizer,
            response=attendee.response,
            responded_at=attendee.responded_at,
        )
        for attendee in attendees
    ]


def copy_attendees(attendees, target: Event) -> None:
    """Copies of ``attendees`` (with their answers) in ``target``; people already there stay."""
    Attendee.objects.bulk_create(attendee_copies(attendees, target), ignore_conflicts=True)


def staff_ids(event: Event) -> set[int]:
    return set(event.attendees.filter(user__isnull=False).values_list("user_id", flat=True))


def share_people(series: Event, change: Change) -> None:
    """People invited to or taken off a whole series: the same in each of its overrides."""
    overrides = list(series.overrides.all())
    if not overrides:
        return
    Attendee.objects.filter(event__in=overrides).filter(
        Q(user_id__in=change.staff_removed) | Q(user__isnull=True, email__in=change.guests_removed)
    ).delete()
    newcomers = list(
        series.attendees.filter(
            Q(user_id__in=change.staff_added) | Q(user__isnull=True, email__in=change.guests_added)
        )
    )
    for row in overrides:
        copy_attendees(newcomers, row)


def check_double_booking(event: Event, people_ids) -> None:
    """Raise DoubleBooked if one of ``people_ids`` invited to ``event`` is busy then.

    Only invited colleagues count — not the organizer, not those who declined —
    and only during the event's first occurrences; the event itself is left out.
    """
    invitees = set(
        event.attendees.filter(user_id__in=people_ids, is_organizer=False)
        .exclude(response=Attendee.Response.DECLINED)
        .values_list("user_id", flat=True)
    )
    spans = first_spans(event, DOUBLE_BOOKING_CHECKS) if invitees else []
    if not spans:
        return
    busy = busy_blocks(invitees, spans[0][0], spans[-1][1], ignore_uid=event.uid)
    people = User.objects.in_bulk(invitees)
    clashes = [
        (people[person], begin, finish)
        for person, blocks in sorted(busy.items())
        for begin, finish in blocks
        if any(begin < end and finish > start for start, end in spans)
    ]
    if clashes:
        raise DoubleBooked(clashes)
