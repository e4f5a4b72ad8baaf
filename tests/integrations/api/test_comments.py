"""Comments over the API: on a client, deal or ticket, through post_comment."""

import pytest

from records import services
from records.models import Comment
from tests.integrations.api.conftest import Api, token_for
from tests.live_helpers import capture_events

pytestmark = pytest.mark.django_db


def test_posting_and_reading_a_deals_comments(member, deal, django_assert_max_num_queries):
    api = Api(token_for(member, ["comments:write"]))
    with capture_events() as events:
        posted = api.post(
            "/api/comments/", {"deal": deal.pk, "body": "Call **Jo**", "send_id": "s-1"}
        )
    assert posted.status_code == 201, posted.json()
    assert any(event.kind == "comment.posted" for event in events)
    again = api.post("/api/comments/", {"deal": deal.pk, "body": "Call **Jo**", "send_id": "s-1"})
    assert again.json()["id"] == posted.json()["id"]
    for number in range(4):
        services.post_comment(actor=member, target=deal, body=f"Note {number}")
    with django_assert_max_num_queries(6):
        rows = api.get("/api/comments/", deal=deal.pk, expand="author").json()["results"]
    assert len(rows) == 5 and rows[-1]["author"]["id"] == member.pk


@pytest.mark.parametrize(
    "body",
    [{"body": "Hi"}, {"body": "Hi", "client": 1, "deal": 1}],
)
def test_a_comment_names_exactly_one_record(api, acme, body):
    response = api.post("/api/comments/", body)
    assert response.status_code == 400
    assert "exactly one" in str(response.json())
    assert not Comment.objects.exists()


def test_a_missing_record_is_404(api, defaults):
    assert api.get("/api/comments/", client=999999).status_code == 404
    assert api.post("/api/comments/", {"ticket": 999999, "body": "Hi"}).status_code == 404


def test_an_empty_comment_is_refused_by_the_service(api, acme):
    response = api.post("/api/comments/", {"client": acme.pk, "body": "   "})
    assert response.status_code == 400
