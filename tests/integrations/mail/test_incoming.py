"""receive(): incoming mail stored once, threaded, matched to its client or left in triage."""

import pytest
from django.conf import settings
from django.db import connection

from integrations.mail.models import EmailMessage
from integrations.mail.services.incoming import receive
from records.services.clients import create_client
from records.services.tickets import create_ticket
from tests.integrations.mail.messages import acme, bea, build, raw, reply_address, sent_message
from tests.live_helpers import capture_events
from tests.races import second_waits_for_first

pytestmark = pytest.mark.django_db(transaction=False)
__all__ = ["acme", "bea"]


def test_a_mail_from_a_contact_lands_on_its_client(bea):
    with capture_events():
        received = receive(raw(build()))
    assert received.outcome == "stored"
    message = received.message
    assert message.client == bea.client
    assert message.contact == bea
    assert message.direction == "in" and message.status == "received"
    assert message.timeline_entry is not None
    assert message.triage == ""


def test_the_same_message_twice_is_stored_once(bea):
    mail = raw(build())
    with capture_events():
        first = receive(mail)
        second = receive(mail)
    assert (first.outcome, second.outcome) == ("stored", "duplicate")
    assert second.message == first.message
    assert EmailMessage.objects.count() == 1


def test_a_reply_joins_the_thread_of_the_mail_it_answers(bea, member):
    sent = sent_message(actor=member, client=bea.client)
    mail = build(subject="Re: Offer", headers={"In-Reply-To": f"<{sent.message_id}>"})
    with capture_events():
        received = receive(raw(mail))
    assert received.message.thread == sent.thread


def test_the_reply_address_finds_the_thread(acme, member):
    sent = sent_message(actor=member, client=acme)
    mail = build(sender="someone@else.example", to=reply_address(sent.thread))
    with capture_events():
        received = receive(raw(mail), recipients=[reply_address(sent.thread)])
    assert received.message.thread == sent.thread
    assert received.message.client == acme


def test_an_unknown_sender_waits_in_triage(db):
    with capture_events() as events:
        received = receive(raw(build(sender="stranger@nowhere.example")))
    assert received.outcome == "stored"
    assert received.message.client is None
    assert received.message.triage == "waiting"
    assert [event.topic for event in events] == ["mailtriage.all"]


def test_a_mail_without_message_id_is_still_stored_once(bea):
    mail = build()
    del mail["Message-ID"]
    with capture_events():
        first, second = receive(raw(mail)), receive(raw(mail))
    assert (first.outcome, second.outcome) == ("stored", "duplicate")
    assert first.message.message_id.endswith("@in.workspace.localhost")


def test_our_own_mail_bccd_back_is_a_duplicate(bea, member):
    sent = sent_message(actor=member, client=bea.client)
    mail = build(sender=settings.MAIL_FROM_EMAIL, message_id=f"<{sent.message_id}>")
    assert receive(raw(mail)).outcome == "duplicate"
    assert EmailMessage.objects.count() == 1


def test_the_sender_domain_finds_the_one_client_there(acme):
    with capture_events():
        received = receive(raw(build(sender="new.person@acme.example")))
    assert received.message.client == acme
    assert received.message.contact is None


def test_a_domain_two_clients_share_finds_none(acme, member):
    create_client(actor=member, name="Acme Two", domain="acme.example")
    with capture_events():
        received = receive(raw(build(sender="new.person@acme.example")))
    assert received.message.client is None
    assert received.message.triage == "waiting"


def test_mail_staff_bccd_is_theirs_and_about_whom_it_was_written_to(bea, member):
    mail = build(sender=f"{member.full_name} <{member.email}>", to="Bea <bea@acme.example>")
    with capture_events():
        received = receive(raw(mail), recipients=["bcc@in.workspace.localhost"])
    message = received.message
    assert message.client == bea.client
    assert message.contact == bea
    assert (message.direction, message.status, message.sender) == ("out", "sent", member)


def test_a_ticket_number_in_the_subject_finds_the_ticket(bea, member):
    ticket = create_ticket(actor=member, client=bea.client, subject="Printer on fire")
    mail = build(subject=f"Re: [Ticket #{ticket.pk}] Printer on fire")
    with capture_events():
        received = receive(raw(mail))
    assert received.message.thread.ticket == ticket
    assert received.message.client == bea.client


def test_a_guessed_ticket_number_from_a_stranger_does_not_reach_the_ticket(bea, member):
    ticket = create_ticket(actor=member, client=bea.client, subject="Printer on fire")
    mail = build(sender="mallory@evil.example", subject=f"[Ticket #{ticket.pk}] hi")
    with capture_events():
        received = receive(raw(mail))
    assert received.message.thread.ticket is None
    assert received.message.client is None


def test_html_is_sanitized_and_its_quote_split_off(bea):
    html = (
        '<p onclick="x()">Yes<script>alert(1)</script></p>'
        '<img src="https://track.example/o.gif" width="1" height="1">'
        '<img src="https://cdn.example/logo.png">'
        '<div class="gmail_quote">On Monday Alex wrote:<blockquote>Offer</blockquote></div>'
    )
    with capture_events():
        message = receive(raw(build(html=html))).message
    assert message.body_html == '<p>Yes</p><img data-remote-src="https://cdn.example/logo.png">'
    assert message.quoted_html == "<div>On Monday Alex wrote:<blockquote>Offer</blockquote></div>"
    assert message.has_remote_images is True
    assert "alert" not in message.body_text


def test_text_only_mail_gets_safe_html_and_folded_quote(bea):
    text = "Deal. <b>not bold</b>\n\nOn Mon, Alex <a@x> wrote:\n> Offer"
    with capture_events():
        message = receive(raw(build(text=text))).message
    assert message.body_html == "<p>Deal. &lt;b&gt;not bold&lt;/b&gt;</p>"
    assert message.quoted_html.startswith("<p>On Mon, Alex &lt;a@x&gt; wrote:<br>")
    assert message.body_text == "Deal. <b>not bold</b>"


def test_attachments_are_stored_and_inline_images_shown(bea):
    mail = build(html='<p>Logo: <img src="cid:logo@acme"></p>')
    mail.get_body(("html",)).add_related(
        b"\x89PNG....", maintype="image", subtype="png", cid="<logo@acme>", filename="logo.png"
    )
    mail.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="offer.pdf")
    with capture_events():
        message = receive(raw(mail)).message
    logo, offer = message.attachments.order_by("pk")
    assert (logo.filename, logo.content_id, logo.file.read()) == (
        "logo.png",
        "logo@acme",
        b"\x89PNG....",
    )
    assert (offer.filename, offer.size) == ("offer.pdf", 4)
    assert f'src="/mail/attachments/{logo.pk}/inline/"' in message.body_html
    assert message.has_remote_images is False


def test_an_attachment_over_the_limit_is_dropped_with_a_note(bea, settings):
    settings.MAIL_ATTACHMENT_MAX_BYTES = 1000
    files = [
        ("big.bin", "application/octet-stream", b"x" * 2000),
        ("small.txt", "text/plain", b"ok"),
    ]
    with capture_events():
        message = receive(raw(build(attachments=files))).message
    assert [a.filename for a in message.attachments.all()] == ["small.txt"]
    assert message.note == "Not kept, too large: big.bin (2 KB)."


def test_a_30_mb_message_is_stored_without_its_attachment(bea):
    big = [("video.mp4", "video/mp4", b"\0" * 30_000_000)]
    with capture_events():
        received = receive(raw(build(text="See the video.", attachments=big)))
    message = received.message
    assert received.outcome == "stored"
    assert message.attachments.count() == 0
    assert message.note == "Not kept, too large: video.mp4 (30 MB)."
    assert message.body_text == "See the video."


def test_a_message_over_the_refusal_size_is_refused(bea, settings):
    settings.MAIL_REFUSE_BYTES = 10_000
    received = receive(raw(build(text="x" * 20_000)))
    assert received.outcome == "refused"
    assert received.reason == "The message is larger than 10 KB."
    assert EmailMessage.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00\x01\x02", b"Subject: no sender\r\n\r\nbody", b"From: nobody\r\n\r\n"],
)
def test_unreadable_mail_is_refused_with_a_reason(data, db):
    received = receive(data)
    assert received.outcome == "refused"
    assert received.reason == "The message has no sender address."
    assert EmailMessage.objects.count() == 0


def test_malformed_mime_from_a_contact_is_stored_as_well_as_it_reads(bea):
    data = (
        b"From: bea@acme.example\r\nSubject: Broken\r\nMessage-ID: <broken@acme.example>\r\n"
        b'Content-Type: multipart/mixed; boundary="zz"\r\n\r\n'
        b"--zz\r\nContent-Type: text/plain\r\n\r\n"
        b'Text before the end\r\n--zz\r\nContent-Type: application/pdf; name="x.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n%%%not base64"
    )
    with capture_events():
        received = receive(data)
    assert received.outcome == "stored"
    assert received.message.body_text == "Text before the end"
    assert received.message.client == bea.client


def test_a_mail_staff_forwarded_is_about_whom_it_was_from(bea, member):
    text = (
        "FYI, see below.\n\n---------- Forwarded message ---------\n"
        "From: Bea Buyer <bea@acme.example>\nDate: Mon, 7 Dec 2026\nSubject: Prices\n\nToo high."
    )
    mail = build(
        sender=member.email, to="bcc@in.workspace.localhost", subject="Fwd: Prices", text=text
    )
    with capture_events() as published:
        message = receive(raw(mail)).message
    assert (message.client, message.contact, message.sender) == (bea.client, bea, member)
    assert "mail.sent" in {event.kind for event in published}


def test_mail_from_our_own_inbound_domain_is_a_loop_not_taken_in(db):
    received = receive(raw(build(sender="reply+abc@in.workspace.localhost")))
    assert (received.outcome, received.message) == ("loop", None)
    assert received.reason == "Mail from Workspace's own inbound domain: not taken in."
    assert EmailMessage.objects.count() == 0


@pytest.mark.backend
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_the_same_mail_delivered_twice_at_once_is_stored_once(member):
    acme = create_client(actor=member, name="Acme Corp", domain="acme.example")
    mail = raw(build())
    first, second = second_waits_for_first(lambda: receive(mail), lambda: receive(mail))
    assert (first.outcome, second.outcome) == ("stored", "duplicate")
    assert second.message.pk == first.message.pk
    assert EmailMessage.objects.get().client == acme
