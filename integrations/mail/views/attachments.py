"""Downloading a mail's attachments, and a ``cid:`` image shown in a mail's HTML.

Both check the thread's policy (one 404 for missing and forbidden). A download is
always ``Content-Disposition: attachment`` with ``nosniff``, whatever the file
claims to be: an HTML "invoice" never runs in Workspace's origin. Inline, only
the image types a browser cannot run are served (no SVG), under a CSP of none.
"""

from django.http import FileResponse, Http404

from integrations.mail import policies
from integrations.mail.models import EmailAttachment

INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def _access_attachment(user, pk: int) -> EmailAttachment:
    attachment = EmailAttachment.objects.select_related("message__thread").filter(pk=pk).first()
    if attachment is None or not policies.can_view_thread(user, attachment.message.thread):
        raise Http404("No such attachment.")
    return attachment


def _file_response(attachment: EmailAttachment, *, as_attachment: bool, content_type: str):
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as missing:
        raise Http404("The attachment's file is gone.") from missing
    response = FileResponse(
        handle,
        as_attachment=as_attachment,
        filename=attachment.filename,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def download(request, pk: int):
    attachment = _access_attachment(request.user, pk)
    content_type = attachment.content_type or "application/octet-stream"
    return _file_response(attachment, as_attachment=True, content_type=content_type)


def inline(request, pk: int):
    """An image a mail's HTML shows (``cid:``): safe image types only, never a download
    of anything else under an inline disposition."""
    attachment = _access_attachment(request.user, pk)
    content_type = (attachment.content_type or "").split(";")[0].strip().lower()
    if content_type not in INLINE_TYPES or not attachment.content_id:
        raise Http404("Not an inline image.")
    return _file_response(attachment, as_attachment=False, content_type=content_type)
