"""Auto-replies and bounces, recognised by their headers (RFC 3834, RFC 3464 and what
mail programs do in practice). Such mail is kept on its thread but never answered,
never opens a ticket and never notifies anyone as a reply: answering an auto-reply
with an auto-reply is how mail loops start.
"""

import re
from dataclasses import dataclass

from integrations.mail.inbound.parsing import ParsedMail, first_id, header_text

BULK_PRECEDENCE = {"bulk", "junk", "auto_reply"}
DAEMON_LOCAL_PARTS = {"mailer-daemon", "postmaster"}
DIAGNOSTIC = re.compile(r"^Diagnostic-Code:\s*(?:[\w-]+;\s*)?(.+)$", re.IGNORECASE | re.MULTILINE)
STATUS = re.compile(r"^Status:\s*([245]\.\d{1,3}\.\d{1,3})", re.IGNORECASE | re.MULTILINE)
REASON_MAX_LENGTH = 500


@dataclass
class Bounce:
    """What a delivery failure report says: the Message-ID of the mail that failed
    (when the report carries it) and why."""

    original_id: str
    reason: str


def is_automatic(mail: ParsedMail) -> bool:
    """An auto-reply, a bounce or bulk mail."""
    auto_submitted = mail.header("Auto-Submitted").strip().lower()
    return (
        bool(auto_submitted and auto_submitted != "no")
        or bool(mail.header("X-Autoreply") or mail.header("X-Autorespond"))
        or mail.header("Precedence").strip().lower() in BULK_PRECEDENCE
        or is_bounce(mail)
    )


def is_bounce(mail: ParsedMail) -> bool:
    return (
        mail.headers.get_content_type() == "multipart/report"
        or mail.from_address.split("@", 1)[0] in DAEMON_LOCAL_PARTS
        or mail.header("Return-Path").strip() == "<>"
    )


def bounce_of(mail: ParsedMail) -> Bounce | None:
    """The failure a bounce reports, or None when ``mail`` is not a bounce."""
    if not is_bounce(mail):
        return None
    report = "\n".join(_report_texts(mail))
    return Bounce(original_id=_original_id(mail), reason=_reason(report, mail))


def _report_texts(mail: ParsedMail):
    """The delivery-status part(s) and the returned headers, as text."""
    for part in mail.headers.walk():
        if part.get_content_type() in {"message/delivery-status", "text/rfc822-headers"}:
            yield _as_text(part)
    yield mail.text


def _as_text(part) -> str:
    payload = part.get_payload()
    if isinstance(payload, list):
        return "\n".join(str(item) for item in payload)
    data = part.get_payload(decode=True)
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(payload or "")


def _original_id(mail: ParsedMail) -> str:
    """The Message-ID of the returned mail: in its attached copy or headers, else what
    the bounce says it answers."""
    for part in mail.headers.walk():
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            payload = part.get_payload()
            returned = payload[0] if isinstance(payload, list) and payload else None
            if returned is not None:
                found = first_id(header_text(returned, "Message-ID"))
                if found:
                    return found
        elif content_type == "text/rfc822-headers":
            match = re.search(r"^Message-ID:\s*(\S+)", _as_text(part), re.I | re.M)
            if match:
                return first_id(match.group(1))
    return mail.in_reply_to or (mail.references[-1] if mail.references else "")


def _reason(report: str, mail: ParsedMail) -> str:
    diagnostic = DIAGNOSTIC.search(report)
    if diagnostic:
        reason = " ".join(diagnostic.group(1).split())
    else:
        status = STATUS.search(report)
        reason = f"Delivery failed (status {status.group(1)})" if status else ""
    reason = reason or mail.subject or "The receiving server returned the mail."
    return reason[:REASON_MAX_LENGTH]
