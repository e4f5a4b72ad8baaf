"""workspace.text.render_markdown: Markdown in, inert HTML out, for every piece of user text."""

import sys
import threading
from html.parser import HTMLParser

import pytest

from workspace.text import render_markdown

XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><script>alert(1)</script></mtext></math>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '![x](https://example.com/a.png" onerror="alert(1))',
    '[x](https://example.com "title\\" onmouseover=\\"alert(1)")',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p style="color:red">styled</p>',
    "<body onload=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<style>*{display:none}</style>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<<script>script>alert(1)<</script>/script>",
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    "<a href='https://ok.example' onclick='alert(1)'>ok</a>",
    "[x](  javascript:alert(1)  )",
    '<https://example.com/"onmouseover="alert(1)>',
    "www.example.com/<script>alert(1)</script>",
]

ALLOWED_TAGS = {
    *("a", "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote"),
    *("ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6"),
    *("table", "thead", "tbody", "tr", "th", "td"),
}
ALLOWED_ATTRIBUTES = {"href", "title", "rel", "start"}


class Elements(HTMLParser):
    """The real elements and attributes of some HTML, as a browser would parse them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict]] = []
        self.comments: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag

    def handle_comment(self, data):
        self.comments.append(data)


def assert_inert(html: str) -> None:
    parsed = Elements(html)
    assert not parsed.comments, html
    for tag, attributes in parsed.found:
        assert tag in ALLOWED_TAGS, html
        assert set(attributes) <= ALLOWED_ATTRIBUTES, html
        href = attributes.get("href")
        if href is not None:
            assert href.startswith(("http://", "https://", "mailto:")), html
        if tag == "a":
            assert attributes["rel"] == "nofollow noopener", html


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_xss_payloads_render_inert(payload):
    assert_inert(render_markdown(payload))


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_xss_payloads_inside_markdown_structures_render_inert(payload):
    text = (
        f"# {payload}\n\n> {payload}\n\n- {payload}\n\n| a |\n|---|\n| {payload} |\n\n**{payload}**"
    )
    assert_inert(render_markdown(text))


def test_typed_html_is_shown_as_text_not_dropped():
    assert render_markdown("a <b>bold</b> claim") == "<p>a &lt;b&gt;bold&lt;/b&gt; claim</p>"


def test_markdown_formatting_is_kept():
    html = render_markdown("**bold** _em_ `code`\n\n- one\n- two\n\n1. first")
    assert "<strong>bold</strong>" in html
    assert "<em>em</em>" in html
    assert "<code>code</code>" in html
    assert "<ul>" in html and "<li>one</li>" in html
    assert "<ol>" in html


def test_links_get_nofollow_noopener():
    html = render_markdown("[site](https://example.com)")
    assert html == '<p><a href="https://example.com" rel="nofollow noopener">site</a></p>'


def test_bare_urls_are_linkified_with_rel():
    html = render_markdown("see https://example.com/a?b=1 now")
    assert '<a href="https://example.com/a?b=1" rel="nofollow noopener">' in html


def test_urls_in_code_are_not_linkified():
    html = render_markdown("```\nhttps://example.com\n```")
    assert "<a" not in html


def test_javascript_link_loses_its_href():
    assert render_markdown("[x](javascript:alert(1))") == '<p><a rel="nofollow noopener">x</a></p>'


def test_line_breaks_are_kept():
    assert render_markdown("one\ntwo") == "<p>one<br>\ntwo</p>"


def test_empty_text_renders_empty():
    assert render_markdown("") == ""


def test_texts_rendered_at_once_in_many_threads_are_never_mixed():
    """Chat sends render in parallel lanes: each text comes out as it does alone (one
    shared bleach Cleaner gave empty or another person's HTML)."""
    texts = [
        f"**Person {n}** wrote [a link](https://example.com/{n}) and\n\n- item {n}\n"
        f"- see www.site{n}.example\n\n```\ncode {n}\n```"
        for n in range(12)
    ]
    alone = [render_markdown(text) for text in texts]
    wrong = []

    def render(n: int) -> None:
        for _ in range(100):
            if (html := render_markdown(texts[n])) != alone[n]:
                wrong.append((n, html))

    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # threads take turns inside a render, as under load
    try:
        threads = [threading.Thread(target=render, args=(n,)) for n in range(len(texts))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switching)
    assert not wrong, f"{len(wrong)} renders differed, e.g. {wrong[0]}"
