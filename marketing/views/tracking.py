"""The public ends of a campaign's email: unsubscribe, the open pixel, tracked links.

Anyone holding the email may use them, signed in or not: the signed token is
the authority (marketing/tracking.py). A forged, tampered, cross-campaign or
malformed token is a 404 and changes nothing. A click redirects only to a link
of the recipient's own campaign (``CampaignLink``), never to a URL the request
names: no open redirect.
"""

import base64
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from marketing import tracking
from marketing.mail import subject_for
from marketing.models import CampaignLink, Recipient
from marketing.services import tracking as services

# The smallest transparent GIF, one pixel.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _recipient(signer, token: str, count: int = 1) -> tuple[Recipient, tuple[int, ...]]:
    ids = tracking.read_token(signer, token, count)
    recipient = (
        Recipient.objects.select_related("campaign", "contact", "client__owner")
        .filter(pk=ids[0])
        .first()
        if ids
        else None
    )
    if recipient is None:
        raise Http404("This link is not valid.")
    return recipient, ids


@login_not_required
@csrf_exempt  # RFC 8058 one-click POSTs come from mail providers, without a CSRF token
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET: a page with one button; POST (the button, or a mail provider's one-click):
    the address gets no more campaign emails."""
    recipient, _ids = _recipient(tracking.UNSUBSCRIBE, token)
    done = False
    if request.method == "POST":
        done = services.record_unsubscribe(recipient=recipient)
        recipient.refresh_from_db(fields=["unsubscribed_at"])
    context = {
        "recipient": recipient,
        "subject": subject_for(recipient),
        "sender": parseaddr(settings.MARKETING_FROM_EMAIL)[0] or "Workspace",
        "just_now": done,
        "already": recipient.unsubscribed_at is not None and not done,
    }
    return render(request, "marketing/campaigns/unsubscribe.html", context)


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def open_pixel(request, token):
    recipient, _ids = _recipient(tracking.OPEN, token)
    services.record_open(recipient=recipient)
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store, max-age=0"
    return response


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def click(request, token):
    recipient, (_recipient_id, link_id) = _recipient(tracking.CLICK, token, count=2)
    link = CampaignLink.objects.filter(pk=link_id, campaign_id=recipient.campaign_id).first()
    if link is None:
        raise Http404("This link is not valid.")
    services.record_click(recipient=recipient, link=link)
    return HttpResponseRedirect(link.url)
