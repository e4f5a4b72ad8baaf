"""What recipients do with a campaign's email: open it, click a link, unsubscribe.

These writes have no actor: the signed token of the email's link is the
authority (marketing/tracking.py); the view has checked it and hands over the
recipient (and link). Each is recorded once — the first open, the first click,
the unsubscribe — with a timeline entry on the client and the campaign's
figures published; a repeat changes nothing.
"""

from django.db import transaction
from django.utils import timezone

from marketing.attribution import record_touch
from marketing.campaign_events import publish_progress
from marketing.mail import subject_for
from marketing.models import CampaignLink, Recipient, Suppression, Touch
from records import events
from records.models import TimelineEntry
from records.timeline import add_entry


def _lock(recipient: Recipient) -> Recipient:
    return (
        Recipient.objects.select_for_update(of=("self",))
        .select_related("campaign", "contact", "client__owner")
        .get(pk=recipient.pk)
    )


def note_on_timeline(recipient: Recipient, kind: str, summary: str, actor=None, **data) -> None:
    """A timeline entry on the recipient's client (if it still exists), published there
    (``kind``: sent, opened, clicked, unsubscribed)."""
    if recipient.client_id is None:
        return
    campaign = recipient.campaign
    entry = add_entry(
        actor=actor,
        client_id=recipient.client_id,
        kind=TimelineEntry.Kind.CAMPAIGN,
        summary=summary,
        data={"campaign": campaign.pk, "recipient": recipient.pk, "event": kind, **data},
    )
    events.publish(
        [events.client_topic(recipient.client_id)],
        f"campaign.{kind}",
        {"id": recipient.pk, "campaign": campaign.pk, "timeline": entry.pk},
    )


def record_open(*, recipient: Recipient) -> bool:
    """The recipient opened the email (its pixel loaded); True the first time."""
    with transaction.atomic():
        recipient = _lock(recipient)
        if recipient.opened_at is not None:
            return False
        _first_open(recipient)
        publish_progress(recipient.campaign)
    return True


def _first_open(recipient: Recipient) -> None:
    recipient.opened_at = timezone.now()
    recipient.save(update_fields=["opened_at"])
    note_on_timeline(recipient, "opened", f"{recipient.email} opened “{subject_for(recipient)}”")


def record_click(*, recipient: Recipient, link: CampaignLink) -> bool:
    """The recipient followed ``link`` (one of its campaign's): True the first time, which
    is a campaign touch of the contact (attribution). A click is an open too."""
    with transaction.atomic():
        recipient = _lock(recipient)
        if recipient.clicked_at is not None:
            return False
        if recipient.opened_at is None:
            _first_open(recipient)
        recipient.clicked_at = timezone.now()
        recipient.save(update_fields=["clicked_at"])
        campaign = recipient.campaign
        note_on_timeline(
            recipient,
            "clicked",
            f"{recipient.email} clicked {link.url} in “{subject_for(recipient)}”",
            link=link.pk,
        )
        if recipient.contact is not None:
            record_touch(
                contact=recipient.contact, channel=Touch.Channel.CAMPAIGN, campaign=campaign
            )
        publish_progress(campaign)
    return True


def record_unsubscribe(*, recipient: Recipient) -> bool:
    """The recipient asked for no more campaign emails: the address is suppressed for every
    campaign. True the first time; a replay changes nothing."""
    with transaction.atomic():
        recipient = _lock(recipient)
        if recipient.unsubscribed_at is not None:
            return False
        recipient.unsubscribed_at = timezone.now()
        recipient.save(update_fields=["unsubscribed_at"])
        Suppression.objects.get_or_create(
            email=recipient.email,
            defaults={"reason": Suppression.Reason.UNSUBSCRIBED, "campaign": recipient.campaign},
        )
        note_on_timeline(
            recipient,
            "unsubscribed",
            f"{recipient.email} unsubscribed from campaign emails "
            f"(from “{subject_for(recipient)}”)",
        )
        publish_progress(recipient.campaign)
    return True
