"""Chat over the API: the room page's rules — a private room is a 404 to others."""

import pytest

from chat.models import Message
from tests.chat import factories
from tests.chat.factories import group_room, post
from tests.integrations.api.conftest import Api, token_for
from tests.live_helpers import capture_events

pytestmark = pytest.mark.django_db

ana, ben, cy = factories.ana, factories.ben, factories.cy


def messages_url(room):
    return f"/api/chat/rooms/{room.pk}/messages/"


def test_a_member_reads_the_history_newest_first(ana, ben, django_assert_max_num_queries):
    room = group_room(ana, ben)
    for number in range(4):
        post(ana, room, f"Message {number}")
    api = Api(token_for(ben, ["chat:read"]))
    with django_assert_max_num_queries(8):
        response = api.get(messages_url(room), page_size=3, expand="author")
    body = response.json()
    assert [row["body"] for row in body["results"]] == ["Message 3", "Message 2", "Message 1"]
    assert body["results"][0]["author"]["name"] == "Ana Lima"
    older = api.http.get(body["next"], headers=api.headers).json()["results"]
    assert older[0]["body"] == "Message 0"


def test_a_private_room_is_404_to_a_non_member_like_the_page(client, ana, ben, cy):
    room = group_room(ana, ben, private=True)
    post(ana, room, "Secret plans")
    api = Api(token_for(cy, ["chat:write"]))
    for response in (
        api.get(messages_url(room)),
        api.post(messages_url(room), {"body": "Let me in"}),
    ):
        assert response.status_code == 404
        assert response.json()["detail"] == "No such room."
        assert "Secret" not in response.content.decode()
    client.force_login(cy)
    assert client.get(f"/chat/rooms/{room.pk}/messages/").status_code == 404
    assert not Message.objects.filter(body="Let me in").exists()


def test_posting_publishes_like_the_page_and_a_retry_posts_once(ana, ben):
    room = group_room(ana, ben)
    api = Api(token_for(ben, ["chat:write"]))
    with capture_events() as events:
        first = api.post(messages_url(room), {"body": "Hi **all**", "client_id": "c-1"})
    assert first.status_code == 201 and first.json()["author"] == ben.pk
    assert events and all(event.topic.startswith(("room.", "user.")) for event in events)
    again = api.post(messages_url(room), {"body": "Hi **all**", "client_id": "c-1"})
    assert again.json()["id"] == first.json()["id"]
    assert Message.objects.filter(room=room, body="Hi **all**").count() == 1


def test_an_empty_message_is_400_and_a_read_token_cannot_post(ana, ben):
    room = group_room(ana, ben)
    api = Api(token_for(ben, ["chat:write"]))
    assert api.post(messages_url(room), {"body": ""}).status_code == 400
    reader = Api(token_for(ben, ["chat:read"]))
    response = reader.post(messages_url(room), {"body": "Hi"})
    assert response.status_code == 403
    assert response.json()["detail"] == "This token lacks the scope chat:write."
