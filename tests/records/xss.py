"""A corpus of hostile inputs and a check that rendered HTML carries none of them live."""

from html.parser import HTMLParser

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    '"><iframe src="javascript:alert(1)"></iframe>',
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "<body onload=alert(1)>",
    "<style>*{display:none}</style>",
    "javascript:alert(1)",
]

DANGEROUS_TAGS = {"script", "iframe", "svg", "img", "body", "style", "object", "embed"}


class _Finder(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in DANGEROUS_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag}[{name}]")
            if name in ("href", "src") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"{tag}[{name}={value}]")


def live_markup(html: str) -> list[str]:
    """Tags, event handlers and javascript: links in ``html`` that a browser would run."""
    finder = _Finder()
    finder.feed(html)
    return finder.found
