"""Reading raw mail as it comes from the wild: broken, 8-bit, quoted."""

from integrations.mail.inbound.parsing import (
    derived_message_id,
    html_to_text,
    ids_in,
    parse,
    split_quoted_html,
    split_quoted_text,
)
from tests.integrations.mail.messages import build, raw


def test_a_well_formed_mail_is_read_whole():
    mail = parse(
        raw(
            build(
                sender='"Bea Buyer" <Bea@Acme.Example>',
                to="Sales <sales@in.workspace.localhost>, ops@acme.example",
                cc="cc@acme.example",
                subject="Quote   for\tQ3",
                html="<p>Hello <b>there</b></p>",
                message_id="<abc.123@acme.example>",
                headers={"In-Reply-To": "<out.1@in.workspace.localhost>"},
                attachments=[("price list.pdf", "application/pdf", b"%PDF-1.4")],
            )
        )
    )
    assert (mail.from_name, mail.from_address) == ("Bea Buyer", "bea@acme.example")
    assert mail.to == ["sales@in.workspace.localhost", "ops@acme.example"]
    assert mail.cc == ["cc@acme.example"]
    assert mail.subject == "Quote for Q3"
    assert mail.message_id == "abc.123@acme.example"
    assert mail.in_reply_to == "out.1@in.workspace.localhost"
    assert mail.text.strip() == "Hello there."
    assert mail.html.strip() == "<p>Hello <b>there</b></p>"
    [attachment] = mail.attachments
    assert (attachment.filename, attachment.content_type) == ("price list.pdf", "application/pdf")
    assert attachment.data == b"%PDF-1.4"
    assert mail.date is not None


def test_eight_bit_headers_are_decoded_as_utf8_or_latin1():
    utf8 = "From: Jürgen Müller <jm@acme.example>\r\nSubject: Grüße\r\n\r\nHallo\r\n"
    assert parse(utf8.encode("utf-8")).subject == "Grüße"
    assert parse(utf8.encode("utf-8")).from_name == "Jürgen Müller"
    latin = "From: jm@acme.example\r\nSubject: Grüße aus Köln\r\n\r\nHallo\r\n"
    assert parse(latin.encode("latin-1")).subject == "Grüße aus Köln"


def test_encoded_words_and_broken_ones():
    mail = parse(
        b"From: =?utf-8?q?Ana_L=C3=B3pez?= <ana@acme.example>\r\n"
        b"Subject: =?utf-8?b?w7xiZXI=?= =?bogus?x?zzz?=\r\n\r\nbody\r\n"
    )
    assert mail.from_name == "Ana López"
    assert mail.subject.startswith("über")


def test_a_multipart_without_its_boundary_keeps_its_text():
    mail = parse(
        b"From: a@acme.example\r\nContent-Type: multipart/mixed\r\n\r\n"
        b"Just some text, no boundary.\r\n"
    )
    assert "Just some text" in mail.text


def test_an_unclosed_multipart_and_an_unknown_charset():
    mail = parse(
        b"From: a@acme.example\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nQapla\xe2\x80\x99\r\n"
        b"--b1\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n!!notbase64"
    )
    assert mail.text.startswith("Qapla")


def test_garbage_is_still_a_mail():
    mail = parse(b"\x00\xff\xfe not a mail at all \r\n\r\n\x00")
    assert mail.from_address == ""


def test_ids_without_brackets_and_repeated():
    assert ids_in("<a@x> <b@x>\r\n <a@x>") == ["a@x", "b@x"]
    assert ids_in("a@x b@x") == ["a@x", "b@x"]
    assert ids_in("") == []


def test_a_mail_without_message_id_gets_one_from_its_bytes():
    assert derived_message_id(b"one", "in.example") == derived_message_id(b"one", "in.example")
    assert derived_message_id(b"one", "in.example") != derived_message_id(b"two", "in.example")


def test_text_quoted_history_after_on_wrote():
    text = (
        "Sounds good, thanks!\n\nBea\n\n"
        "On Mon, 7 Dec 2026 at 10:00, Alex <a@x> wrote:\n> Our offer\n> stands."
    )
    body, quoted = split_quoted_text(text)
    assert body == "Sounds good, thanks!\n\nBea"
    assert quoted.startswith("On Mon, 7 Dec 2026") and quoted.endswith("> stands.")


def test_text_quoted_history_outlook_and_trailing_quote():
    body, quoted = split_quoted_text("Yes.\n-----Original Message-----\nFrom: Alex\nOffer")
    assert (body, quoted.splitlines()[0]) == ("Yes.", "-----Original Message-----")
    body, quoted = split_quoted_text("Agreed.\n\n> earlier\n> text\n")
    assert (body, quoted) == ("Agreed.", "> earlier\n> text")


def test_text_with_quotes_between_answers_is_not_cut():
    text = "> question one\nanswer one\n> question two\nanswer two"
    assert split_quoted_text(text) == (text, "")


def test_html_quoted_history_gmail_apple_outlook():
    quote = (
        '<div class="gmail_quote"><div>On Mon, Alex wrote:</div><blockquote>old</blockquote></div>'
    )
    assert split_quoted_html("<div>Thanks!</div>" + quote) == ("<div>Thanks!</div>", quote)
    apple = (
        '<div>Fine.</div><div>On 7 Dec 2026, Alex wrote:</div><blockquote type="cite">old'
        "</blockquote>"
    )
    body, quoted = split_quoted_html(apple)
    assert body == "<div>Fine.</div>" and quoted.startswith("<div>On 7 Dec")
    outlook = '<p>OK</p><div id="divRplyFwdMsg"><b>From:</b> Alex</div><div>old</div>'
    assert split_quoted_html(outlook)[0] == "<p>OK</p>"
    assert split_quoted_html("<p>No quote</p>") == ("<p>No quote</p>", "")


def test_html_to_text_for_mail_without_a_text_part():
    assert html_to_text("<style>p{}</style><p>One</p><p>Two &amp; three</p>") == "One\nTwo & three"
