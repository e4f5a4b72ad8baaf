"""A web form's public page: anonymous, embeddable in the origins the form lists.

**CSRF.** The page lives in an iframe on another site, where the browser does not send
our (SameSite) CSRF cookie, so Django's CSRF check would refuse every honest visitor.
The view is ``csrf_exempt``, which is safe here because nothing authenticated happens:
it never reads the session or the user (a signed-in colleague submitting it is just a
visitor), and a forged cross-site post could only do what anyone may do — submit a
lead. What CSRF would have added is replaced by abuse checks that hold without
cookies: a signed render token (the post must come from a page we drew in the last
two days, for this form), a per-address hourly limit, a honeypot, a size limit
before the body is parsed, and strict validation (``submit_form``).

**Framing.** ``X-Frame-Options`` is dropped for this view alone (it cannot name
origins), and its ``Content-Security-Policy`` says ``frame-ancestors`` with exactly
the form's allowed origins (``'none'`` when it lists none). ``form-action`` also lets
the browser follow the redirect to the form's thank-you page.

The visitor's address is ``REMOTE_ADDR``: behind a proxy, run daphne with
``--proxy-headers`` so that it is the visitor's, not the proxy's.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.middleware.csp import get_nonce
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.csp import CSP, build_policy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from marketing.models import UTM_MAX_LENGTH, WebForm
from marketing.services import submissions
from marketing.web_forms import HONEYPOT, SIGNED_RENDER, TRACKING, LeadForm

PAGE = "marketing/forms/public.html"
RENDER_SALT = "marketing.web-form.rendered"
RENDER_MAX_AGE = 2 * 24 * 3600
DEFAULT_THANKS = "Thank you! We got your message and will be in touch soon."


@login_not_required
@csrf_exempt
@xframe_options_exempt
def form_public(request, key):
    webform = get_object_or_404(WebForm, key=key, active=True)
    if request.method == "POST":
        response = _take(request, webform)
    elif request.method in ("GET", "HEAD"):
        response = _show(request, webform)
    else:
        response = HttpResponseNotAllowed(["GET", "POST"])
    return _framable_by(webform, request, response)


def _framable_by(webform: WebForm, request, response):
    origins = webform.allowed_origins.split()
    policy = {**settings.SECURE_CSP, "frame-ancestors": origins or [CSP.NONE]}
    if webform.redirect_url:
        target = urlsplit(webform.redirect_url)
        policy["form-action"] = [CSP.SELF, f"{target.scheme}://{target.netloc}"]
    response.headers[str(CSP.HEADER_ENFORCE)] = build_policy(policy, get_nonce(request))
    return response


def _show(request, webform: WebForm):
    if request.GET.get("sent"):
        return _page(request, webform, None, sent=True)
    tracking = {name: request.GET.get(name, "")[:UTM_MAX_LENGTH] for name in TRACKING[:3]}
    tracking["referrer"] = _outside_referrer(request)
    return _page(request, webform, LeadForm(webform), tracking=tracking)


def _outside_referrer(request) -> str:
    """The page that showed the form (the embedding site), not one of ours."""
    referrer = request.headers.get("Referer", "")[:500]
    host = urlsplit(referrer).netloc
    return "" if not host or host == request.get_host() else referrer


def _take(request, webform: WebForm):
    if _too_large(request):
        return render(
            request,
            "marketing/forms/refused.html",
            {"webform": webform, "reason": "size"},
            status=413,
        )
    lead = LeadForm(webform, request.POST)
    tracking = {name: request.POST.get(name, "") for name in TRACKING}
    if not _rendered_by_us(request.POST.get(SIGNED_RENDER, ""), webform):
        lead.add_error(None, "This page was open too long. Check your entries and send it again.")
        return _page(request, webform, lead, tracking=tracking, status=400)
    try:
        submissions.submit_form(
            form=webform, data=request.POST, ip=request.META.get("REMOTE_ADDR", ""), **tracking
        )
    except submissions.TooManySubmissions as refusal:
        context = {"webform": webform, "reason": "rate", "message": str(refusal)}
        return render(request, "marketing/forms/refused.html", context, status=429)
    except ValidationError as invalid:
        if lead.is_valid():  # a refusal beyond the fields' own checks
            lead.add_error(None, invalid.messages)
        return _page(request, webform, lead, tracking=tracking, status=400)
    if webform.redirect_url:
        return redirect(webform.redirect_url)
    return redirect(f"{request.path}?sent=1")


def _too_large(request) -> bool:
    """The declared body is over MARKETING_FORM_MAX_BYTES (checked before parsing it)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > settings.MARKETING_FORM_MAX_BYTES


def render_token(webform: WebForm) -> str:
    return signing.dumps(webform.key.hex, salt=RENDER_SALT)


def _rendered_by_us(token: str, webform: WebForm) -> bool:
    try:
        return signing.loads(token, salt=RENDER_SALT, max_age=RENDER_MAX_AGE) == webform.key.hex
    except signing.BadSignature:
        return False


def _page(request, webform, lead, *, tracking=None, sent=False, status=200):
    context = {
        "webform": webform,
        "lead": lead,
        "tracking": tracking or {},
        "token": render_token(webform),
        "honeypot": HONEYPOT,
        "sent": sent,
        "thanks": webform.thank_you_message or DEFAULT_THANKS,
    }
    return render(request, PAGE, context, status=status)
