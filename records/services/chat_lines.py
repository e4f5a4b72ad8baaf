"""Lines the records services post in a client's chat room (handoffs, deals won, escalations).

Chat sits above records, so records does not post them itself: it sends
``records.signals.client_room_line`` and chat, which receives it, posts the
line inside the calling service's transaction: it commits and is published
with the change it reports, or not at all.
"""

import re

from records.signals import client_room_line

# What would turn a name inside a line into emphasis, code, a link or a heading. (Dots and
# hyphens stay as typed, so "acme.example" is still found by message search.)
MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]#])")
LINE_MAX_LENGTH = 200


def literal(text) -> str:
    """``text`` (a name, a title) escaped so Markdown shows it as typed."""
    return MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))


def first_line(text: str) -> str:
    """The first non-empty line of a note or reason (Markdown kept), at most LINE_MAX_LENGTH."""
    line = next((line.strip() for line in (text or "").splitlines() if line.strip()), "")
    return line if len(line) <= LINE_MAX_LENGTH else line[: LINE_MAX_LENGTH - 1] + "…"


def tell_client_room(client, text: str) -> None:
    """Post ``text`` (Markdown; escape names with :func:`literal`) in ``client``'s room."""
    client_room_line.send(sender=type(client), client=client, text=text)
