"""User text → safe HTML, through one function (DESIGN §1 "user text").

Every piece of text a person typed (comments, notes, descriptions) is shown
through :func:`render_markdown`. Two layers, so one mistake is not enough:

1. Markdown with raw HTML switched off: ``<b>`` typed by a person is shown as
   the characters ``<b>``, never parsed as a tag.
2. bleach on the result: an allowlist of tags and attributes, links limited to
   http(s)/mailto, bare URLs linkified, and every link given
   ``rel="nofollow noopener"`` (no ``target``: links open in the same tab).

No ``style`` or ``class`` attribute survives (the CSP forbids inline styles
anyway), no images (a tracking pixel or a ``data:`` URL are not worth it),
no SVG or MathML.
"""

from functools import partial

import bleach
import markdown
from bleach.linkifier import LinkifyFilter

ALLOWED_TAGS = frozenset(
    {
        "a",
        "p",
        "br",
        "hr",
        "strong",
        "em",
        "del",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"], "ol": ["start"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
MARKDOWN_EXTENSIONS = ["fenced_code", "tables", "sane_lists", "nl2br"]


def _link_rel(attrs: dict, new: bool = False) -> dict:
    """Every link, typed or linkified: nofollow (no SEO credit) and noopener."""
    attrs[(None, "rel")] = "nofollow noopener"
    attrs.pop((None, "target"), None)
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_link_rel], skip_tags={"pre", "code"})],
)


def _markdown() -> markdown.Markdown:
    md = markdown.Markdown(extensions=MARKDOWN_EXTENSIONS, output_format="html")
    # Raw HTML is text, not markup: never let a typed tag through to the parser.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


def render_markdown(text: str) -> str:
    """Markdown typed by a person → sanitized HTML, safe to mark safe in a template."""
    if not text:
        return ""
    html = _markdown().convert(text)
    return _cleaner.clean(html).strip()
