"""A comment post re-sent after a network failure (same ``send_id``) never duplicates."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Notification
from records import services
from records.models import Comment
from tests.factories import UserFactory
from tests.live_helpers import capture_events

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
SEND_ID = re.compile(r'name="send_id" value="([0-9a-f]{32})"')


def test_the_same_send_id_twice_is_one_comment_and_one_event(member, acme):
    mentioned = UserFactory(full_name="Ana Lopez")
    with capture_events(2) as events:
        first = services.post_comment(
            actor=member, target=acme, body="@Ana Lopez hi", send_id="s-1"
        )
        again = services.post_comment(
            actor=member, target=acme, body="@Ana Lopez hi", send_id="s-1"
        )
    assert again == first
    assert Comment.objects.count() == 1
    assert [event.kind for event in events] == ["comment.posted", "notification.added"]
    assert Notification.objects.filter(recipient=mentioned).count() == 1


def test_another_author_with_the_same_send_id_posts_their_own(member, sales_manager, acme):
    mine = services.post_comment(actor=member, target=acme, body="Mine", send_id="s-1")
    theirs = services.post_comment(actor=sales_manager, target=acme, body="Theirs", send_id="s-1")
    assert mine != theirs
    assert Comment.objects.count() == 2


def test_posts_without_a_send_id_are_each_new(member, acme):
    services.post_comment(actor=member, target=acme, body="Same words")
    services.post_comment(actor=member, target=acme, body="Same words", send_id="")
    assert Comment.objects.count() == 2


def test_a_send_id_used_on_another_record_is_refused(member, acme, deal):
    services.post_comment(actor=member, target=acme, body="On the client", send_id="s-1")
    with pytest.raises(ValidationError, match="another record"):
        services.post_comment(actor=member, target=deal, body="On the deal", send_id="s-1")
    assert Comment.objects.count() == 1


@pytest.mark.parametrize("send_id", ["has space", "x" * 65, "<b>", 12])
def test_a_malformed_send_id_is_refused(member, acme, send_id):
    with pytest.raises(ValidationError, match="post id"):
        services.post_comment(actor=member, target=acme, body="Hi", send_id=send_id)
    assert not Comment.objects.exists()


def test_the_form_posts_once_per_send_id_and_draws_a_new_one(client, member, acme):
    client.force_login(member)
    page = client.get(reverse("records:client_detail", args=[acme.pk])).content.decode()
    send_id = SEND_ID.search(page).group(1)
    url = reverse("records:comment_thread", args=["client", acme.pk])
    first = client.post(url, {"body": "Sent twice", "send_id": send_id}, **HTMX)
    again = client.post(url, {"body": "Sent twice", "send_id": send_id}, **HTMX)
    assert (first.status_code, again.status_code) == (200, 200)
    assert Comment.objects.get().send_id == send_id
    fresh = SEND_ID.search(first.content.decode()).group(1)
    assert fresh != send_id
