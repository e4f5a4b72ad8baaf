"""Invitation and cancellation emails with an iCalendar attachment (owned by the iCal work)."""


def send_event_mail(event_id: int, method: str, recipients: list[str]) -> None:
    """Email ``recipients`` about the event, with an .ics of ``method`` (REQUEST or CANCEL)."""
