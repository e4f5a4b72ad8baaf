"""Raw incoming mail → the parts Workspace keeps (docs/EMAIL.md, "Capture incoming mail").

Mail from the wild is often broken: 8-bit bytes in headers, unknown charsets,
multiparts without their closing boundary, headers the strict parser refuses.
Everything here degrades instead of raising: a header that cannot be parsed is
read raw and decoded as far as it goes, a part that cannot be decoded is read as
UTF-8 with replacement characters, and a message with no parts at all is kept as
its text. The quoted history of a reply is split off here too, so the view can
fold it.
"""

import email.header
import email.utils
import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import Message
from email.parser import BytesParser

ID_IN_BRACKETS = re.compile(r"<([^<>\s]+)>")

# Where the quoted history starts in an HTML reply: Gmail, Apple Mail/Thunderbird,
# Outlook (web and desktop), Yahoo. Split at the first one found.
HTML_QUOTE_STARTS = re.compile(
    r"""<div[^>]*class=["'][^"']*\bgmail_quote\b"""
    r"""|<blockquote[^>]*type=["']?cite"""
    r"""|<div[^>]*id=["']?(?:divRplyFwdMsg|appendonsend)\b"""
    r"""|<div[^>]*class=["'][^"']*\byahoo_quoted\b"""
    r"""|-{3,}\s*Original Message\s*-{3,}""",
    re.IGNORECASE,
)
# An "On Mon, 7 Dec 2026, Ana <ana@…> wrote:" line just before an HTML quote: it
# belongs to the quote. Looked for in the last few hundred characters before it.
HTML_ATTRIBUTION = re.compile(r"<(?:div|p)\b[^>]*>(?:(?!<(?:div|p)\b).){0,300}?wrote:", re.I | re.S)
ATTRIBUTION_LOOKBACK = 400

TEXT_ATTRIBUTION = re.compile(r"^\s*(On\b.{0,300}?\bwrote:|Am\b.{0,300}?\bschrieb.{0,60}:)\s*$")
TEXT_ORIGINAL = re.compile(
    r"^\s*-{3,}\s*(Original Message|Ursprüngliche Nachricht)\s*-{3,}\s*$", re.I
)
TEXT_SNIPPET_LENGTH = 200


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class ParsedMail:
    """What a raw message says, decoded; ``headers`` is the parsed message, for the loop checks."""

    headers: Message
    size: int
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    from_address: str = ""
    from_name: str = ""
    reply_to: list[str] = field(default_factory=list)
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    subject: str = ""
    date: datetime | None = None
    text: str = ""
    html: str = ""
    quoted_text: str = ""
    quoted_html: str = ""
    attachments: list[Attachment] = field(default_factory=list)

    def header(self, name: str) -> str:
        return header_text(self.headers, name)


def parse(raw: bytes) -> ParsedMail:
    """Read ``raw`` (the bytes of one message as delivered) whatever its state."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    senders = addresses(message, "From") or addresses(message, "Sender")
    from_name, from_address = senders[0] if senders else ("", "")
    mail = ParsedMail(
        headers=message,
        size=len(raw),
        message_id=first_id(header_text(message, "Message-ID")),
        in_reply_to=first_id(header_text(message, "In-Reply-To")),
        references=ids_in(header_text(message, "References")),
        from_address=from_address,
        from_name=from_name,
        reply_to=[address for _, address in addresses(message, "Reply-To")],
        to=[address for _, address in addresses(message, "To")],
        cc=[address for _, address in addresses(message, "Cc")],
        subject=" ".join(header_text(message, "Subject").split()),
        date=date_of(header_text(message, "Date")),
    )
    _read_parts(message, mail)
    mail.text, mail.quoted_text = split_quoted_text(mail.text)
    mail.html, mail.quoted_html = split_quoted_html(mail.html)
    return mail


def derived_message_id(raw: bytes, domain: str) -> str:
    """A Message-ID for a mail that came without one: the same bytes always get the same
    id, so a redelivery is still recognised."""
    return f"{hashlib.sha256(raw).hexdigest()[:40]}@{domain}"


# --- headers --------------------------------------------------------------------------


def header_text(message: Message, name: str) -> str:
    """A header's decoded text ("" when absent). Falls back to the raw value, decoded
    as far as it goes, when the strict parser refuses it (bad encoded words, 8-bit)."""
    try:
        value = message.get(name)
    except Exception:  # a header the parser refuses must not lose the mail
        return _raw_header(message, name)
    if value is None:
        return ""
    value = str(value)
    # 8-bit bytes come out as replacement characters: the raw value still has them.
    return _raw_header(message, name) if "\ufffd" in value else value


def _raw_header(message: Message, name: str) -> str:
    for key, value in message.raw_items():
        if key.lower() != name.lower():
            continue
        if _has_8bit(value):
            return " ".join(_unescape_8bit(value).split())
        try:
            return str(email.header.make_header(email.header.decode_header(value)))
        except Exception:  # a bad encoded word: the characters as they came
            return " ".join(value.split())
    return ""


def _has_8bit(value: str) -> bool:
    return any("\udc80" <= char <= "\udcff" for char in value)


def _unescape_8bit(value: str) -> str:
    """8-bit bytes in a header reach us as surrogate escapes: most are UTF-8, the rest
    Latin-1 (which decodes anything)."""
    if not _has_8bit(value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def addresses(message: Message, name: str) -> list[tuple[str, str]]:
    """(name, address) pairs of an address header, addresses lowercased; anything
    that is not an address (no @) is left out."""
    found = []
    for display, address in email.utils.getaddresses([header_text(message, name)]):
        address = address.strip().strip("<>").lower()
        if "@" in address and " " not in address:
            found.append((" ".join(display.split()), address))
    return found


def ids_in(value: str) -> list[str]:
    """Message-IDs of a References/In-Reply-To header, without brackets, in order."""
    found = ID_IN_BRACKETS.findall(value or "")
    if not found:
        found = [word.strip("<>") for word in (value or "").split() if "@" in word]
    return list(dict.fromkeys(found))


def first_id(value: str) -> str:
    found = ids_in(value)
    if found:
        return found[0]
    return (value or "").strip().strip("<>").strip()


def date_of(value: str) -> datetime | None:
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else None


# --- parts ----------------------------------------------------------------------------


def _read_parts(message: Message, mail: ParsedMail) -> None:
    """The first text and HTML bodies, and every other leaf part as an attachment."""
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part)
        if disposition != "attachment" and not filename:
            if content_type == "text/plain" and not mail.text:
                mail.text = part_text(part)
                continue
            if content_type == "text/html" and not mail.html:
                mail.html = part_text(part)
                continue
        if content_type.startswith("multipart/"):
            # A multipart whose boundary is missing: its body is all there is to read.
            mail.text = mail.text or part_text(part)
            continue
        data = _payload(part)
        if data is None:
            continue
        mail.attachments.append(
            Attachment(
                filename=filename or _default_name(content_type),
                content_type=content_type,
                data=data,
                content_id=first_id(header_text(part, "Content-ID")),
            )
        )


def part_text(part: Message) -> str:
    """A text part's content; an unknown or lying charset is read as UTF-8, leniently."""
    try:
        content = part.get_content()
    except Exception:  # LookupError, decoding errors, defects
        content = None
    if isinstance(content, str):
        return content
    data = _payload(part) or b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return data.decode("utf-8", "replace")


def _payload(part: Message) -> bytes | None:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        return None
    return data if isinstance(data, bytes) else None


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    name = _unescape_8bit(name).replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(char for char in name if char.isprintable()).strip()[:200]


def _default_name(content_type: str) -> str:
    if content_type == "message/rfc822":
        return "message.eml"
    if content_type == "message/delivery-status":
        return "delivery-status.txt"
    return "attachment." + (content_type.rsplit("/", 1)[-1][:10] or "bin")


# --- quoted history -------------------------------------------------------------------


def split_quoted_text(text: str) -> tuple[str, str]:
    """(what was written, the quoted history) of a plain-text body: the history starts
    at "On … wrote:", at "-----Original Message-----", or at a block of ``>`` lines
    that runs to the end (a signature after it still counts as quoted)."""
    lines = (text or "").replace("\r\n", "\n").split("\n")
    for index, line in enumerate(lines):
        if TEXT_ORIGINAL.match(line) or (
            TEXT_ATTRIBUTION.match(line) and _quote_follows(lines, index + 1)
        ):
            return _joined(lines[:index]), _joined(lines[index:])
    start = _trailing_quote_start(lines)
    return _joined(lines[:start]), _joined(lines[start:])


def _quote_follows(lines: list[str], index: int) -> bool:
    rest = [line for line in lines[index:] if line.strip()]
    return not rest or rest[0].lstrip().startswith(">")


def _trailing_quote_start(lines: list[str]) -> int:
    """Where the last run of ``>`` lines starts, if only blank lines follow it."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and (lines[start - 1].lstrip().startswith(">") or not lines[start - 1].strip()):
        start -= 1
    quoted = any(line.lstrip().startswith(">") for line in lines[start:end])
    return start if quoted and start < end else len(lines)


def _joined(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n").rstrip()


def split_quoted_html(markup: str) -> tuple[str, str]:
    """(what was written, the quoted history) of an HTML body, split at the first quote
    marker of a known mail program (and its "On … wrote:" line, if just before it).
    The halves are unbalanced HTML: each is sanitized (and so balanced) on its own."""
    found = HTML_QUOTE_STARTS.search(markup or "")
    if not found:
        return markup or "", ""
    start = found.start()
    window_start = max(0, start - ATTRIBUTION_LOOKBACK)
    attributions = list(HTML_ATTRIBUTION.finditer(markup, window_start, start))
    attribution = attributions[-1] if attributions else None
    if attribution is not None and not _has_words(markup[attribution.end() : start]):
        start = attribution.start()
    return markup[:start], markup[start:]


def _has_words(markup: str) -> bool:
    return bool(re.sub(r"<[^>]*>|&nbsp;|\s", "", markup))


def text_to_html(text: str) -> str:
    """Plain text as HTML paragraphs, escaped (then sanitized like any body, for links)."""
    paragraphs = re.split(r"\n\s*\n", (text or "").strip())
    return "".join(
        "<p>" + html.escape(paragraph).replace("\n", "<br>") + "</p>"
        for paragraph in paragraphs
        if paragraph.strip()
    )


def html_to_text(markup: str) -> str:
    """A rough text of an HTML body (for search and snippets when a mail has no text part)."""
    markup = re.sub(r"(?is)<(script|style|head|title)\b.*?</\1\s*>", " ", markup or "")
    markup = re.sub(r"(?i)<br\s*/?>|</p\s*>|</div\s*>|</tr\s*>|</li\s*>", "\n", markup)
    text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line).strip()


def snippet(text: str, length: int = TEXT_SNIPPET_LENGTH) -> str:
    words = " ".join((text or "").split())
    return words if len(words) <= length else words[: length - 1].rstrip() + "…"
