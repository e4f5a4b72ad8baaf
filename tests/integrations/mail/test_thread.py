# ruff: noqa: F811 (the fixtures imported from thread_helpers)
"""The thread page (``mail:thread``), a message's parts fetched on request, attachments,
and the page's live topic."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from integrations.mail.threads import can_follow_thread
from records import services
from tests.factories import UserFactory
from tests.integrations.mail.thread_helpers import (  # noqa: F401 (fixtures)
    acme,
    add_message,
    make_thread,
    media,
)
from tests.records.queries import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(acme, member, media):
    """Alex's offer to Ana, and her answer with an attachment and the quoted offer."""
    deal = services.create_deal(actor=member, client=acme, title="Renewal 2027")
    thread = make_thread(acme, created_by=member, deal=deal)
    add_message(
        thread,
        direction="out",
        sender=member,
        body_html="<p>Here is our offer.</p>",
        to=["ana@acme.example"],
        cc=["jo@acme.example"],
    )
    add_message(
        thread,
        body_html='<p>Looks good.</p><p><img data-remote-src="https://cdn.acme.example/logo.png"></p>',
        quoted_html="<blockquote><p>Here is our offer.</p></blockquote>",
        has_remote_images=True,
        attachments=[("signed.pdf", "application/pdf", b"%PDF-1.4 signed")],
    )
    return thread


def test_the_thread_page_shows_the_conversation_in_order(client, member, thread):
    client.force_login(member)
    response = client.get(reverse("mail:thread", args=[thread.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Here is our offer.") < html.index("Looks good.")
    assert "jo@acme.example" in html and "&lt;ana@acme.example&gt;" in html
    assert "Sent" in html  # the outgoing message's status
    assert '<details class="mail-quoted"><summary>Show quoted text</summary>' in html
    assert "signed.pdf" in html
    assert ' src="https://cdn.acme.example' not in html
    assert reverse("mail:message_images", args=[thread.messages.last().pk]) in html
    assert reverse("records:client_detail", args=[thread.client_id]) in html
    assert reverse("records:deal_detail", args=[thread.deal_id]) in html
    assert f"mailthread.{thread.pk}" in html  # the page follows its topic
    assert "Mark private" in html and "can-make-private" in html


def test_the_thread_page_runs_as_many_queries_with_more_messages(client, member, thread):
    client.force_login(member)
    url = reverse("mail:thread", args=[thread.pk])
    few = count_queries(client, url)
    for number in range(8):
        add_message(thread, attachments=[(f"{number}.txt", "text/plain", b"x")])
    assert count_queries(client, url) == few


def test_a_thread_nobody_may_see_is_not_found(client, member, thread, sales):
    other = UserFactory(role=Role.MEMBER, departments=[sales])
    thread.private_to = member
    thread.save()
    client.force_login(other)
    assert client.get(reverse("mail:thread", args=[thread.pk])).status_code == 404
    assert client.get(reverse("mail:thread", args=[thread.pk + 100])).status_code == 404
    message = thread.messages.last()
    for name in ("mail:message_quoted", "mail:message_images", "mail:message_original"):
        assert client.get(reverse(name, args=[message.pk])).status_code == 404
    attachment = message.attachments.get()
    assert client.get(reverse("mail:attachment", args=[attachment.pk])).status_code == 404


def test_signed_out_people_are_sent_to_sign_in(client, thread):
    response = client.get(reverse("mail:thread", args=[thread.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_quoted_history_is_fetched_on_request(client, member, thread):
    client.force_login(member)
    message = thread.messages.last()
    response = client.get(reverse("mail:message_quoted", args=[message.pk]))
    assert response.status_code == 200
    assert response.content.decode() == "<blockquote><p>Here is our offer.</p></blockquote>"


def test_remote_images_load_only_when_asked_in_a_sandboxed_frame(client, member, thread):
    client.force_login(member)
    message = thread.messages.last()
    framed = client.get(reverse("mail:message_images", args=[message.pk]), HTTP_HX_REQUEST="true")
    assert "<iframe" in framed.content.decode() and 'sandbox="' in framed.content.decode()
    plain = client.get(reverse("mail:message_images", args=[message.pk]))
    assert plain.status_code == 302

    original = client.get(reverse("mail:message_original", args=[message.pk]))
    html = original.content.decode()
    assert '<img src="https://cdn.acme.example/logo.png">' in html
    policy = original["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "img-src" in policy and "https:" in policy
    assert "script-src" not in policy  # nothing but images (and our stylesheet) loads
    assert original["X-Frame-Options"] == "SAMEORIGIN"
    assert original["Referrer-Policy"] == "no-referrer"


def test_an_attachment_downloads_as_a_file_never_inline(client, member, thread):
    client.force_login(member)
    attachment = thread.messages.last().attachments.get()
    response = client.get(reverse("mail:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="signed.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 signed"


def test_attachments_are_kept_outside_the_public_media_folder(
    client, member, thread, media, settings, tmp_path_factory
):
    """The media route serves anyone with a link; an attachment is only ever handed out by
    the policy-checked view (MAIL_ATTACHMENTS_ROOT is not under MEDIA_ROOT)."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    attachment = thread.messages.last().attachments.get()
    assert (media / attachment.file.name).read_bytes() == b"%PDF-1.4 signed"
    assert not (settings.MEDIA_ROOT / attachment.file.name).exists()
    assert client.get(f"{settings.MEDIA_URL}{attachment.file.name}").status_code == 404
    client.force_login(member)
    assert client.get(reverse("mail:attachment", args=[attachment.pk])).status_code == 200


def test_only_safe_images_with_a_content_id_are_served_inline(client, member, acme, media):
    client.force_login(member)
    message = add_message(
        make_thread(acme),
        attachments=[
            ("logo.png", "image/png", b"\x89PNG\r\n\x1a\nlogo", "logo@acme"),
            ("page.html", "text/html", b"<script>alert(1)</script>", "page@acme"),
            ("icon.svg", "image/svg+xml", b"<svg onload='alert(1)'/>", "icon@acme"),
            ("photo.png", "image/png", b"\x89PNG\r\n\x1a\nphoto"),
        ],
    )
    logo, page, icon, photo = message.attachments.order_by("pk")
    response = client.get(reverse("mail:inline", args=[logo.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    for refused in (page, icon, photo):
        assert client.get(reverse("mail:inline", args=[refused.pk])).status_code == 404


def test_the_thread_topic_follows_the_thread_policy(member, admin, sales, thread):
    other = UserFactory(role=Role.MEMBER, departments=[sales])
    key = str(thread.pk)
    assert can_follow_thread(member, key) and can_follow_thread(other, key)
    thread.private_to = member
    thread.save()
    assert can_follow_thread(member, key) and can_follow_thread(admin, key)
    assert not can_follow_thread(other, key)
    assert not can_follow_thread(member, "nope") and not can_follow_thread(member, "999999")


def test_a_thread_page_lookup_is_one_query_per_part(client, member, thread):
    """thread (+ client, deal, ticket), messages (+ sender), attachments: no query per message."""
    client.force_login(member)
    url = reverse("mail:thread", args=[thread.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    mail_queries = [q["sql"] for q in queries if '"mail_' in q["sql"]]
    assert len(mail_queries) <= 5, mail_queries
