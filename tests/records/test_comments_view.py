"""Comment threads: post, reply, edit, delete (author / admin / others), mentions, live."""

import pytest
from django.urls import reverse

from records import services
from records.models import Comment
from tests.factories import UserFactory
from tests.live_helpers import capture_events
from tests.records.xss import PAYLOADS, live_markup

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def post_url(target, pk):
    return reverse("records:comment_thread", args=[target, pk])


@pytest.fixture
def signed_in(client, member):
    client.force_login(member)
    return client


def test_post_answers_with_the_live_fragment_and_a_fresh_form(signed_in, acme, member):
    with capture_events() as events:
        response = signed_in.post(post_url("client", acme.pk), {"body": "Hello *team*"}, **HTMX)
    comment = Comment.objects.get()
    html = response.content.decode()
    assert response.status_code == 200
    assert response["X-Live-Event"] == str(events[0].id)
    assert f'hx-swap-oob="beforeend:#comments-client-{acme.pk}-list"' in html
    assert f'id="comment-{comment.pk}-card" data-author="{member.pk}"' in html
    assert "<em>team</em>" in html
    assert f'id="comments-client-{acme.pk}-form"' in html and 'hx-swap-oob="true"' in html
    assert events[0].html in html
    assert f"afterbegin:#timeline-{acme.pk}-entries" in events[0].html


def test_reply_goes_under_its_comment(signed_in, acme, admin):
    parent = services.post_comment(actor=admin, target=acme, body="Top")
    form = signed_in.get(reverse("records:comment_reply", args=[parent.pk]), **HTMX)
    assert f'name="parent" value="{parent.pk}"' in form.content.decode()
    with capture_events() as events:
        response = signed_in.post(
            post_url("client", acme.pk), {"body": "Reply", "parent": parent.pk}, **HTMX
        )
    assert f'hx-swap-oob="beforeend:#comment-{parent.pk}-replies"' in events[0].html
    assert f'id="comment-{parent.pk}-reply-slot" hx-swap-oob="true"' in response.content.decode()


def test_no_reply_to_a_deleted_comment(signed_in, acme, member):
    parent = services.post_comment(actor=member, target=acme, body="Gone soon")
    services.delete_comment(actor=member, comment=parent)
    assert (
        signed_in.get(reverse("records:comment_reply", args=[parent.pk]), **HTMX).status_code == 404
    )
    response = signed_in.post(
        post_url("client", acme.pk), {"body": "Late", "parent": parent.pk}, **HTMX
    )
    assert response.status_code == 422
    assert "That comment was deleted" in response.content.decode()
    assert Comment.objects.count() == 1


def test_empty_and_oversized_comments_are_refused(signed_in, acme):
    response = signed_in.post(post_url("client", acme.pk), {"body": "  "}, **HTMX)
    assert response.status_code == 422
    assert "Write something first." in response.content.decode()
    response = signed_in.post(post_url("client", acme.pk), {"body": "x" * 10_001}, **HTMX)
    assert response.status_code == 422
    assert "limited to 10,000 characters" in response.content.decode()
    assert not Comment.objects.exists()


def test_comments_on_deals_and_tickets(signed_in, deal, ticket):
    signed_in.post(post_url("deal", deal.pk), {"body": "On the deal"}, **HTMX)
    signed_in.post(post_url("ticket", ticket.pk), {"body": "On the ticket"}, **HTMX)
    assert Comment.objects.filter(deal=deal).exists() and Comment.objects.filter(ticket=ticket)
    assert signed_in.post(post_url("widget", 1), {"body": "x"}, **HTMX).status_code == 404


def test_author_edits_and_it_is_marked_edited(signed_in, acme, member):
    comment = services.post_comment(actor=member, target=acme, body="Frist")
    url = reverse("records:comment_edit", args=[comment.pk])
    assert "Frist</textarea>" in signed_in.get(url, **HTMX).content.decode()
    with capture_events() as events:
        response = signed_in.post(url, {"body": "First"}, **HTMX)
    html = response.content.decode()
    assert "First" in html and "edited" in html
    assert f'id="comment-{comment.pk}-card" data-author="{member.pk}" hx-swap-oob="true"' in (
        events[0].html
    )
    response = signed_in.post(url, {"body": ""}, **HTMX)
    assert response.status_code == 422
    comment.refresh_from_db()
    assert comment.body == "First"


def test_others_cannot_edit_or_delete(client, acme, member, sales_manager):
    comment = services.post_comment(actor=member, target=acme, body="Mine")
    client.force_login(sales_manager)
    edit = reverse("records:comment_edit", args=[comment.pk])
    assert client.post(edit, {"body": "Theirs"}, **HTMX).status_code == 403
    delete = reverse("records:comment_delete", args=[comment.pk])
    assert client.post(delete, **HTMX).status_code == 403
    comment.refresh_from_db()
    assert comment.body == "Mine" and not comment.is_deleted


def test_author_and_admin_delete(client, acme, member, admin):
    mine = services.post_comment(actor=member, target=acme, body="One")
    other = services.post_comment(actor=member, target=acme, body="Two")
    client.force_login(member)
    with capture_events() as events:
        html = client.post(reverse("records:comment_delete", args=[mine.pk]), **HTMX)
    assert "This comment was deleted." in html.content.decode()
    assert "This comment was deleted." in events[0].html
    client.force_login(admin)
    client.post(reverse("records:comment_delete", args=[other.pk]), **HTMX)
    assert Comment.objects.filter(deleted_at__isnull=False).count() == 2


def test_delete_is_post_only(signed_in, acme, member):
    comment = services.post_comment(actor=member, target=acme, body="x")
    assert signed_in.get(reverse("records:comment_delete", args=[comment.pk])).status_code == 405


def test_mention_suggestions(signed_in):
    UserFactory(full_name="Ana Lopez", email="ana@example.com")
    UserFactory(full_name="Ana Lopezova", email="tole@example.com", is_active=False)
    UserFactory(full_name="Bo Li")
    people = signed_in.get(reverse("records:mention_people"), {"q": "lopez"}).json()["people"]
    assert [person["name"] for person in people] == ["Ana Lopez"]
    assert set(people[0]) == {"id", "name", "email", "initials", "colour"}


def test_mentions_render_as_chips(signed_in, acme, member):
    ana = UserFactory(full_name="Ana Lopez", email="ana@example.com")
    services.post_comment(actor=member, target=acme, body="Thanks @Ana Lopez and @nobody")
    html = signed_in.get(reverse("records:client_detail", args=[acme.pk])).content.decode()
    assert '<span class="mention">@Ana Lopez</span>' in html
    assert '<span class="mention">@nobody' not in html
    assert ana.notifications.count() == 1


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_comment_renders_inert(signed_in, acme, member, payload):
    with capture_events() as events:
        comment = services.post_comment(actor=member, target=acme, body=f"Hi {payload}")
    assert live_markup(events[0].html) == []
    page = signed_in.get(reverse("records:client_detail", args=[acme.pk])).content.decode()
    card = page[page.index(f'id="comment-{comment.pk}-card"') :]
    assert live_markup(card[: card.index("</article>")]) == []


def test_thread_resync_fragment(signed_in, acme, member):
    services.post_comment(actor=member, target=acme, body="Kept")
    url = reverse("records:comment_thread", args=["client", acme.pk])
    html = signed_in.get(url, **HTMX).content.decode()
    assert f'id="comments-client-{acme.pk}"' in html and "Kept" in html


def test_without_javascript_edit_is_a_page_and_saving_goes_back(signed_in, acme, member):
    comment = services.post_comment(actor=member, target=acme, body="Plain")
    url = reverse("records:comment_edit", args=[comment.pk])
    page = signed_in.get(url)
    assert page.status_code == 200 and "<html" in page.content.decode()
    response = signed_in.post(url, {"body": "Plainer"})
    assert response["Location"] == f"/clients/{acme.pk}/#comment-{comment.pk}"
