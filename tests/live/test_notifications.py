"""Notifications: the bus's first user (service, events, bell, pages, socket)."""

import zoneinfo

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Notification, Role
from tests.factories import UserFactory, invite
from tests.live_helpers import Socket, capture_events

pytestmark = pytest.mark.backend


def notify(recipient, text="Ben mentioned you on Acme Ltd", **kwargs):
    kwargs.setdefault("kind", "mention")
    kwargs.setdefault("link", "/team/")
    return services.notify(recipient=recipient, text=text, **kwargs)


# --- Service --------------------------------------------------------------------


@pytest.mark.django_db
def test_notify_publishes_the_bell_count_and_the_item_to_the_recipient(member, admin):
    notify(member)  # one unread already
    with capture_events(1) as events:
        notification = notify(member, "Ana assigned you a task", actor=admin)
    (event,) = events
    assert (event.topic, event.kind) == (f"user.{member.pk}", "notification.added")
    assert event.payload == {"notification": notification.pk, "unread": 2}
    assert 'id="notification-count"' in event.html
    assert 'hx-swap-oob="true"' in event.html
    assert f'id="bell-notification-{notification.pk}"' in event.html
    assert f'id="notification-{notification.pk}"' in event.html
    assert 'hx-swap-oob="afterbegin:#bell-list"' in event.html
    assert "Ana assigned you a task" in event.html
    assert notification.actor == admin and notification.read_at is None


@pytest.mark.django_db
def test_notify_renders_the_same_html_for_every_viewer(member, admin):
    """Viewer-independent: the time is UTC in the markup, whoever's time zone is active."""
    timezone.activate(zoneinfo.ZoneInfo("Asia/Tokyo"))
    try:
        with capture_events(1) as events:
            notification = notify(member, actor=admin)
    finally:
        timezone.deactivate()
    stamp = notification.created_at.astimezone(zoneinfo.ZoneInfo("UTC")).isoformat()
    assert f'datetime="{stamp}"' in events[0].html
    assert "csrfmiddlewaretoken" not in events[0].html


@pytest.mark.django_db
def test_nobody_is_notified_of_their_own_action_nor_when_deactivated(member):
    inactive = UserFactory(is_active=False)
    with capture_events(0):
        assert notify(member, actor=member) is None
        assert notify(inactive) is None
    assert not Notification.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "link", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_notifications_link_only_within_workspace(member, link):
    with capture_events(0), pytest.raises(ValidationError):
        notify(member, link=link)


@pytest.mark.django_db
def test_notify_needs_text(member):
    with capture_events(0), pytest.raises(ValidationError):
        notify(member, text="   ")


@pytest.mark.django_db
def test_mark_read_publishes_the_new_count(member):
    first, second = notify(member, "one"), notify(member, "two")
    with capture_events(1) as events:
        event = services.mark_read(actor=member, notification=first)
    assert events == [event]
    assert event.kind == "notification.read"
    assert event.payload == {"notifications": [first.pk], "unread": 1}
    assert f'id="notification-{first.pk}"' in event.html
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    with capture_events(0):  # already read: nothing changes, nothing published
        assert services.mark_read(actor=member, notification=first) is None


@pytest.mark.django_db
def test_only_the_recipient_marks_a_notification_read(member, admin):
    notification = notify(member)
    with capture_events(0), pytest.raises(PermissionDenied):
        services.mark_read(actor=admin, notification=notification)


@pytest.mark.django_db
def test_mark_all_read(member, admin):
    notifications = [notify(member, f"n{n}") for n in range(3)]
    notify(admin, "not Ben's")
    with capture_events(1) as events:
        services.mark_all_read(actor=member)
    assert events[0].payload["unread"] == 0
    assert sorted(events[0].payload["notifications"]) == sorted(n.pk for n in notifications)
    assert not member.notifications.unread().exists()
    assert admin.notifications.unread().count() == 1
    with capture_events(0):
        assert services.mark_all_read(actor=member) is None


# --- Services that notify ------------------------------------------------------------


@pytest.mark.django_db
def test_role_change_notifies_the_person(admin, member):
    with capture_events(1) as events:
        services.set_role(actor=admin, person=member, role=Role.MANAGER)
    assert events[0].topic == f"user.{member.pk}"
    assert member.notifications.get().text == f"{admin} made you a Manager."
    with capture_events(0):  # unchanged: no news
        services.set_role(actor=admin, person=member, role=Role.MANAGER)


@pytest.mark.django_db
def test_department_change_notifies_the_person(admin, member, sales, support):
    with capture_events(1):
        services.set_departments(actor=admin, person=member, departments=[support])
    assert member.notifications.get().text == (
        f"{admin} added you to Support and removed you from Sales."
    )
    with capture_events(0):
        services.set_departments(actor=admin, person=member, departments=[support])


@pytest.mark.django_db
def test_accepted_invitation_notifies_the_inviter(admin, sales):
    _, token = invite(admin, email="nora@example.com", department=sales)
    with capture_events(1) as events:
        nora = services.accept_invitation(
            token=token, full_name="Nora Quist", password="a-long-enough-passphrase"
        )
    assert events[0].topic == f"user.{admin.pk}"
    notification = admin.notifications.get()
    assert notification.text == "Nora Quist accepted your invitation and joined Sales."
    assert notification.actor == nora
    assert notification.link == reverse("person", kwargs={"pk": nora.pk})


# --- Pages ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_bell_shows_the_unread_count_on_every_page(client, member):
    client.force_login(member)
    page = client.get(reverse("home")).content.decode()
    assert 'id="notification-bell"' in page
    assert 'id="notification-count" class="badge rounded-pill bell-count" hidden' in page
    notify(member, "Ben mentioned you")
    page = client.get(reverse("home")).content.decode()
    assert 'id="notification-count" class="badge rounded-pill bell-count">1<' in page
    assert "Ben mentioned you" in page
    assert f'data-live-topics="user.{member.pk} ' in page  # then the report topics
    assert 'data-live-since="' in page
    assert "js/live.js" in page


@pytest.mark.django_db
def test_notifications_page_lists_only_mine(client, member, admin):
    mine, theirs = notify(member, "for Ben"), notify(admin, "for the admin")
    client.force_login(member)
    page = client.get(reverse("notifications")).content.decode()
    assert f'id="notification-{mine.pk}"' in page
    assert f'id="notification-{theirs.pk}"' not in page
    assert 'data-live-resync="/notifications/"' in page


@pytest.mark.django_db
def test_opening_a_notification_marks_it_read_and_follows_its_link(client, member, admin):
    notification = notify(member, link="/profile/")
    client.force_login(member)
    response = client.get(reverse("notification_open", args=[notification.pk]))
    assert response.status_code == 302 and response["Location"] == "/profile/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    # Someone else's notification does not exist, as far as you can tell.
    other = notify(admin)
    assert client.get(reverse("notification_open", args=[other.pk])).status_code == 404
    assert client.post(reverse("notification_read", args=[other.pk])).status_code == 404


@pytest.mark.django_db
def test_mark_read_with_htmx_returns_the_live_fragment(client, member):
    notification = notify(member)
    client.force_login(member)
    response = client.post(
        reverse("notification_read", args=[notification.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    event_id = int(response["X-Live-Event"])
    from workspace.live.models import Event

    assert Event.objects.get(pk=event_id).html == response.content.decode()
    assert 'id="notification-count"' in response.content.decode()


@pytest.mark.django_db
def test_mark_all_read_without_javascript(client, member):
    notify(member)
    client.force_login(member)
    response = client.post(reverse("notifications_read_all"), follow=True)
    assert response.redirect_chain == [(reverse("notifications"), 302)]
    assert "All notifications are marked read." in response.content.decode()
    assert not member.notifications.unread().exists()


@pytest.mark.django_db
def test_bell_refetch_for_resync(client, member):
    notify(member)
    client.force_login(member)
    response = client.get(reverse("notification_bell"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.strip().startswith('<div class="dropdown bell" id="notification-bell"')
    assert ">1<" in html


@pytest.mark.django_db
def test_mark_read_needs_post(client, member):
    notification = notify(member)
    client.force_login(member)
    assert client.get(reverse("notification_read", args=[notification.pk])).status_code == 405


# --- Over the socket ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_notification_reaches_only_the_recipients_open_tabs():
    ana, ben = await database_sync_to_async(lambda: (UserFactory(), UserFactory()))()
    ana_tab, ben_tab = await Socket.open(ana), await Socket.open(ben)
    await ana_tab.subscribe({f"user.{ana.pk}": None})
    await ben_tab.subscribe({f"user.{ben.pk}": None})
    notification = await database_sync_to_async(notify)(ana, "Ben handed you Acme", actor=ben)
    frame = await ana_tab.receive()
    assert frame["kind"] == "notification.added"
    assert frame["payload"] == {"notification": notification.pk, "unread": 1}
    assert "Ben handed you Acme" in frame["html"]
    assert await ben_tab.silent()
    await ana_tab.close()
    await ben_tab.close()
