"""How a stored mail is shown: its remote images held back until the reader asks.

The sanitizer (workspace/text.py ``sanitize_email_html``) moves a remote image's
``src`` to ``data-remote-src``, so nothing loads by itself (and the pages' CSP
allows same-origin images only). When the reader asks, the body is served as
its own small document (``mail:message_original``) with the addresses put back,
under a CSP that lets images (and nothing else) load from anywhere, framed
sandboxed (no script, no same-origin) in the page that asked.
"""

import re

from django.utils.csp import CSP
from django.views.decorators.csp import csp_override

REMOTE_SRC = re.compile(r"""(<img\b[^>]*?\s)data-remote-src=("[^"]*"|'[^']*')""", re.IGNORECASE)

# The framed original: remote images over HTTP(S), our stylesheet, nothing else.
ORIGINAL_CSP = {
    "default-src": [CSP.NONE],
    "img-src": [CSP.SELF, "data:", "https:", "http:"],
    "style-src": [CSP.SELF],
    "frame-ancestors": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
}
original_csp = csp_override(ORIGINAL_CSP)


def with_remote_images(html: str) -> str:
    """``html`` (sanitized) with its held-back remote images' ``src`` put back."""
    return REMOTE_SRC.sub(r"\1src=\2", html or "")
