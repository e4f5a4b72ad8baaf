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

import re
import threading
from functools import partial
from urllib.parse import unquote

import bleach
import markdown
from bleach import html5lib_shim
from bleach.linkifier import LinkifyFilter
from bleach.sanitizer import BleachSanitizerFilter

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


# bleach's Cleaner and a Markdown instance keep their parser's state between calls, so
# one shared by two threads mixes two people's texts (chat sends render in parallel
# lanes: workspace/live/actions.py). Each thread has its own, made once and reused
# (a new Markdown per text cost a chat send 0.4 ms more: docs/PERFORMANCE.md).
_per_thread = threading.local()


def _cleaner() -> bleach.Cleaner:
    if not hasattr(_per_thread, "cleaner"):
        _per_thread.cleaner = bleach.Cleaner(
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            protocols=ALLOWED_PROTOCOLS,
            strip=True,
            strip_comments=True,
            filters=[partial(LinkifyFilter, callbacks=[_link_rel], skip_tags={"pre", "code"})],
        )
    return _per_thread.cleaner


def _markdown() -> markdown.Markdown:
    if not hasattr(_per_thread, "markdown"):
        md = markdown.Markdown(extensions=MARKDOWN_EXTENSIONS, output_format="html")
        # Raw HTML is text, not markup: never let a typed tag through to the parser.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        _per_thread.markdown = md
    return _per_thread.markdown.reset()


def render_markdown(text: str) -> str:
    """Markdown typed by a person → sanitized HTML, safe to mark safe in a template."""
    if not text:
        return ""
    html = _markdown().convert(text)
    return _cleaner().clean(html).strip()


# --- Incoming mail HTML (integrations/mail/inbound) ------------------------------------
#
# Mail is HTML written by strangers: more layout survives than in typed text (tables,
# images, headings), but no script, style, frame, form, event handler, style or class
# attribute. Images never load by themselves: a remote ``src`` is moved to
# ``data-remote-src`` (the view puts it back when the reader asks); ``cid:`` images
# point at the stored attachment; 1x1 and hidden images (tracking pixels) are dropped.

EMAIL_TAGS = ALLOWED_TAGS | {
    "abbr",
    "b",
    "caption",
    "center",
    "col",
    "colgroup",
    "dd",
    "div",
    "dl",
    "dt",
    "i",
    "img",
    "ins",
    "s",
    "small",
    "span",
    "strike",
    "sub",
    "sup",
    "tfoot",
    "u",
}
_CELL = ["align", "valign", "colspan", "rowspan", "width"]
EMAIL_ATTRIBUTES = {
    "a": ["href", "title"],
    "img": ["src", "alt", "title", "width", "height"],
    "ol": ["start"],
    "table": ["align", "width", "cellpadding", "cellspacing", "border"],
    "td": _CELL,
    "th": _CELL,
    "tr": ["align", "valign"],
    "col": ["span", "width"],
    "p": ["align"],
    "div": ["align"],
}
EMAIL_PROTOCOLS = ALLOWED_PROTOCOLS | {"cid"}
# Dropped with everything inside them, not just unwrapped.
EMAIL_DROPPED_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "title",
        "head",
        "template",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "noscript",
        "select",
        "textarea",
        "button",
        "svg",
        "math",
    }
)
HIDING_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|(?<![-\w])(?:width|height)\s*:\s*[01](?:px)?\b",
    re.IGNORECASE,
)


def sanitize_email_html(html: str, *, inline_images=None) -> tuple[str, bool]:
    """An incoming mail's HTML → (safe HTML, whether it refers to remote images).

    ``inline_images`` maps a Content-ID (no brackets) to the URL of its stored
    attachment; a ``cid:`` image not in it is dropped."""
    if not html or not html.strip():
        return "", False
    parser = html5lib_shim.BleachHTMLParser(
        tags=None, strip=True, consume_entities=False, namespaceHTMLElements=False
    )
    stream = _DropHidden(html5lib_shim.getTreeWalker("etree")(parser.parseFragment(html)))
    stream = BleachSanitizerFilter(
        source=stream,
        allowed_tags=EMAIL_TAGS,
        attributes=EMAIL_ATTRIBUTES,
        allowed_protocols=EMAIL_PROTOCOLS,
        strip_disallowed_tags=True,
        strip_html_comments=True,
    )
    images = _HoldImages(stream, inline_images or {})
    safe = _email_serializer().render(images).strip()
    return safe, images.has_remote_images


def _email_serializer():
    return html5lib_shim.BleachHTMLSerializer(
        quote_attr_values="always",
        omit_optional_tags=False,
        escape_lt_in_attrs=True,
        resolve_entities=False,
        sanitize=False,
        alphabetical_attributes=False,
    )


def _attr(token: dict, name: str) -> str:
    return str(token.get("data", {}).get((None, name), ""))


def _is_tracking_pixel(token: dict) -> bool:
    def tiny(value: str) -> bool:
        value = value.strip().lower().removesuffix("px")
        return value.isdigit() and int(value) <= 1

    return (
        tiny(_attr(token, "width"))
        or tiny(_attr(token, "height"))
        or bool(HIDING_STYLE.search(_attr(token, "style")))
    )


class _DropHidden(html5lib_shim.Filter):
    """Before sanitizing (while ``style`` is still there): drop the elements that must go
    with their content, and tracking pixels."""

    def __iter__(self):
        depth = 0
        for token in super().__iter__():
            kind = token["type"]
            name = (token.get("name") or "").lower()
            if kind == "StartTag" and name in EMAIL_DROPPED_WITH_CONTENT:
                depth += 1
            elif kind == "EndTag" and name in EMAIL_DROPPED_WITH_CONTENT and depth:
                depth -= 1
            elif depth == 0 and not (
                kind in ("StartTag", "EmptyTag") and name == "img" and _is_tracking_pixel(token)
            ):
                yield token


class _HoldImages(html5lib_shim.Filter):
    """After sanitizing: remote images held back (``data-remote-src``), ``cid:`` images
    pointed at their attachment, links marked nofollow."""

    def __init__(self, source, inline_images):
        super().__init__(source)
        self.inline_images = inline_images
        self.has_remote_images = False

    def __iter__(self):
        for token in super().__iter__():
            name = token.get("name")
            if token["type"] in ("StartTag", "EmptyTag") and name == "img":
                token = self._image(token)
                if token is None:
                    continue
            elif token["type"] == "StartTag" and name == "a":
                _link_rel(token["data"])
                if _attr(token, "href").lower().startswith("cid:"):
                    token["data"].pop((None, "href"))
            yield token

    def _image(self, token):
        attrs = token["data"]
        src = _attr(token, "src").strip()
        attrs.pop((None, "src"), None)
        if src.lower().startswith("cid:"):
            url = self.inline_images.get(unquote(src[4:]).strip("<>"))
            if url is None:
                return None
            attrs[(None, "src")] = url
        elif src.lower().startswith(("http:", "https:", "//")):
            attrs[(None, "data-remote-src")] = "https:" + src if src.startswith("//") else src
            self.has_remote_images = True
        else:
            return None
        return token
