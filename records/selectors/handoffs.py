"""Reads of handoffs shared by pages, the API and analytics."""

from datetime import datetime, timedelta

from records.models import HANDOFF_DEAL_WINDOW, Handoff
from records.policies import SUPPORT_DEPARTMENT


def handoffs_that_led_to_deals(
    *,
    from_department: str = SUPPORT_DEPARTMENT,
    since: datetime | None = None,
    until: datetime | None = None,
    window: timedelta = HANDOFF_DEAL_WINDOW,
):
    """Handoffs sent by ``from_department`` (a slug; support by default) after which a
    deal was opened for the client within ``window`` (90 days), optionally sent
    between ``since`` and ``until``. ``.count()`` it for the analytics figure.

    One query with an ``EXISTS`` subquery over the client's deals; withdrawn
    and declined handoffs count too (the client still became a deal), filter
    by ``status`` to narrow it.
    """
    handoffs = Handoff.objects.from_department(from_department)
    if since is not None:
        handoffs = handoffs.filter(created_at__gte=since)
    if until is not None:
        handoffs = handoffs.filter(created_at__lt=until)
    return handoffs.led_to_deal(window)
