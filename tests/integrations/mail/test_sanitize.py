"""sanitize_email_html: the one sanitizer's rules for mail written by strangers."""

import pytest

from workspace.text import sanitize_email_html


def clean(html, **kwargs):
    return sanitize_email_html(html, **kwargs)[0]


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        "<style>p { color: red }</style>",
        "<iframe src='https://evil.example'>frame</iframe>",
        "<form action='https://evil.example'><input name='card'></form>",
        "<object data='x.swf'></object><embed src='x.swf'>",
        "<svg><script>alert(1)</script></svg>",
        "<title>Title</title>",
    ],
)
def test_active_and_hidden_content_goes_with_what_is_inside(html):
    assert clean(html) == ""


def test_event_handlers_styles_and_classes_are_dropped():
    html = '<p onclick="steal()" style="color:red" class="x" id="y">Hi <b onmouseover="x()">you</b>'
    assert clean(html) == "<p>Hi <b>you</b></p>"


def test_javascript_links_lose_their_href_and_links_are_nofollow():
    assert clean('<a href="javascript:alert(1)">x</a>') == '<a rel="nofollow noopener">x</a>'
    assert clean('<a href="https://ok.example/" target="_blank">ok</a>') == (
        '<a href="https://ok.example/" rel="nofollow noopener">ok</a>'
    )


def test_layout_of_mail_survives():
    html = '<table width="600"><tr><td align="center" colspan="2">Cell</td></tr></table>'
    cell = '<td align="center" colspan="2">Cell</td>'
    assert clean(html) == f'<table width="600"><tbody><tr>{cell}</tr></tbody></table>'


def test_remote_images_wait_until_the_reader_asks():
    safe, remote = sanitize_email_html('<img src="https://cdn.example/logo.png" alt="Logo">')
    assert safe == '<img alt="Logo" data-remote-src="https://cdn.example/logo.png">'
    assert remote is True
    protocol_relative = '<img src="//cdn.example/logo.png">'
    assert clean(protocol_relative) == '<img data-remote-src="https://cdn.example/logo.png">'


@pytest.mark.parametrize(
    "pixel",
    [
        '<img src="https://track.example/o.gif" width="1" height="1">',
        '<img src="https://track.example/o.gif" width="0" height="0">',
        '<img src="https://track.example/o.gif" style="display:none">',
        '<img src="https://track.example/o.gif" style="width:1px;height:1px">',
        '<img src="https://track.example/o.gif" height="1px">',
    ],
)
def test_tracking_pixels_are_dropped(pixel):
    assert sanitize_email_html(f"<p>Hi</p>{pixel}") == ("<p>Hi</p>", False)


def test_inline_images_point_at_their_attachment_others_go():
    html = '<img src="cid:logo@mail" alt="Logo"><img src="cid:missing@mail" alt="Gone">'
    safe, remote = sanitize_email_html(
        html, inline_images={"logo@mail": "/mail/attachments/7/inline/"}
    )
    assert safe == '<img alt="Logo" src="/mail/attachments/7/inline/">'
    assert remote is False


def test_data_urls_and_other_schemes_are_not_images():
    assert clean('<img src="data:image/png;base64,AAAA"><img src="file:///etc/passwd">') == ""


def test_text_that_looks_like_markup_stays_text():
    assert clean("<p>1 &lt; 2 and &lt;script&gt;</p>") == "<p>1 &lt; 2 and &lt;script&gt;</p>"


def test_empty():
    assert sanitize_email_html("") == ("", False)
    assert sanitize_email_html("   ") == ("", False)
