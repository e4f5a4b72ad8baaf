"""Where contacts and deals came from: touches, and each one's first and latest.

A *touch* is one time a contact reached us through a channel: a web form, a
campaign's tracked link, a UTM-tagged visit, being typed in by staff, an
import. Every contact keeps its first and latest touch (``Attribution``); a
deal, when it opens, takes its client's first touch and latest touch so far —
so revenue can be traced to the channel that brought the client in (first
touch) or the one that brought the deal about (latest touch).

Contacts created by records' services are attributed by a listener on
``contact.created``: "manual" unless the write happens inside
``attributing(...)`` (a web form, an import), which names the channel. Deals
are attributed by a listener on ``deal.created``. Both run inside the
writer's transaction (workspace/live/listeners.py), so a contact or a deal
never exists without its source.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import IntegrityError, transaction
from django.utils import timezone

from marketing.models import Attribution, Campaign, Touch
from records.models import Contact, Deal
from workspace import live

_current: ContextVar[dict | None] = ContextVar("marketing_attributing", default=None)


@contextmanager
def attributing(channel: str, **touch_fields) -> Iterator[None]:
    """Attribute contacts created inside the block to ``channel`` (with ``form``,
    ``campaign``, ``utm_source``… as ``record_touch`` takes them), not to "manual"."""
    token = _current.set({"channel": channel, **touch_fields})
    try:
        yield
    finally:
        _current.reset(token)


def record_touch(
    *,
    contact: Contact | None,
    channel: str,
    client=None,
    form=None,
    campaign=None,
    utm_source: str = "",
    utm_medium: str = "",
    utm_campaign: str = "",
    at=None,
) -> Touch:
    """Log a touch and keep the contact's first and latest current (call in the writer's
    transaction). A UTM campaign naming one of our campaigns is that campaign's touch."""
    if campaign is None and utm_campaign:
        campaign = Campaign.objects.filter(utm_campaign=utm_campaign).first()
    touch = Touch(
        contact=contact,
        client_id=client.pk if client is not None else contact.client_id,
        channel=channel,
        form=form,
        campaign=campaign,
        utm_source=utm_source[:100],
        utm_medium=utm_medium[:100],
        utm_campaign=utm_campaign[:100],
        created_at=at or timezone.now(),
    )
    touch.full_clean()
    touch.save()
    if contact is not None:
        _keep_first_and_latest(contact, touch)
    return touch


def _keep_first_and_latest(contact: Contact, touch: Touch) -> None:
    with transaction.atomic():
        attribution = (
            Attribution.objects.select_for_update()
            .select_related("first", "latest")
            .filter(contact=contact)
            .first()
        )
        if attribution is None:
            try:
                with transaction.atomic():
                    Attribution.objects.create(contact=contact, first=touch, latest=touch)
                return
            except IntegrityError:  # another transaction attributed it first: update theirs
                attribution = Attribution.objects.select_for_update().get(contact=contact)
        _widen(attribution, touch)


def _widen(attribution: Attribution, touch: Touch) -> None:
    """Make ``touch`` the first or the latest when it is earlier or later than they are."""
    changed = []
    if touch.created_at < attribution.first.created_at:
        attribution.first = touch
        changed.append("first")
    if touch.created_at >= attribution.latest.created_at:
        attribution.latest = touch
        changed.append("latest")
    if changed:
        attribution.save(update_fields=changed)


def attribute_deal(deal: Deal) -> Attribution:
    """Give ``deal`` its client's first touch and latest touch so far; a client nobody
    touched yet (added by hand before attribution existed) gets a "manual" touch."""
    touches = Touch.objects.filter(client_id=deal.client_id, created_at__lte=timezone.now())
    first = touches.order_by("created_at", "pk").first()
    latest = touches.order_by("-created_at", "-pk").first()
    if first is None:
        first = latest = record_touch(
            contact=None, client=deal.client, channel=Touch.Channel.MANUAL
        )
    attribution, _ = Attribution.objects.update_or_create(
        deal=deal, defaults={"first": first, "latest": latest}
    )
    return attribution


# --- Listeners: records' writes, attributed in their transaction --------------------


def contact_created(kind: str, payload: dict, topics) -> None:
    contact = Contact.objects.filter(pk=payload["id"]).first()
    if contact is None or Attribution.objects.filter(contact=contact).exists():
        return
    context = dict(_current.get() or {"channel": Touch.Channel.MANUAL})
    record_touch(contact=contact, **context)


def deal_created(kind: str, payload: dict, topics) -> None:
    deal = Deal.objects.filter(pk=payload["id"]).first()
    if deal is not None:
        attribute_deal(deal)


def load() -> None:
    live.register_listener("contact.created", contact_created)
    live.register_listener("deal.created", deal_created)
