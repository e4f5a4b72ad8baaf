"""The live topics accounts publishes and the fragments it sends (DESIGN §4).

``user.<id>`` is a person's own feed (notifications now; tasks and invites
later), private to them. Fragments come from the same template partials the
pages use, rendered once per event and identical for every tab.
"""

from datetime import UTC

from django.template.loader import render_to_string
from django.utils import timezone

from accounts import policies
from workspace import live

live.register_topic("user", policies.can_follow_own_feed)

TEMPLATE = "accounts/notifications.html"
# A read event re-renders at most this many items; older tabs show the rest on reload.
READ_ITEMS_SHOWN = 50


def feed(user) -> str:
    return f"user.{user.pk}"


def _render(partial: str, context: dict) -> str:
    # Viewer-independent: times in UTC (the browser localizes them), no request.
    with timezone.override(UTC):
        return render_to_string(f"{TEMPLATE}#{partial}", context)


def access_changed(person_ids) -> None:
    """These people's role, departments or account changed: their open tabs re-check every
    topic they follow (a deactivated or deleted account's sockets close)."""
    live.recheck_access(person_ids)


def notification_added(notification, *, unread: int):
    html = _render("live-added", {"notification": notification, "unread": unread})
    return live.publish(
        feed(notification.recipient),
        "notification.added",
        {"notification": notification.pk, "unread": unread},
        html=html,
    )


def notifications_read(recipient, notifications, *, unread: int):
    """Publish that notifications were read; returns the Event (htmx responses reuse its html)."""
    notifications = list(notifications)[:READ_ITEMS_SHOWN]
    html = _render("live-read", {"notifications": notifications, "unread": unread})
    return live.publish(
        feed(recipient),
        "notification.read",
        {"notifications": [notification.pk for notification in notifications], "unread": unread},
        html=html,
    )
