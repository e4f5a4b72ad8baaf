"""The campaign pages: the list, the editor (compose, check, preview, test, send,
schedule, cancel) and the results page.

Everyone on the staff may look (marketing.policies.can_view_marketing); only
marketers and admins change anything (``can_manage_marketing``): their POSTs are
refused with a 403 and the reason. A campaign that is sending, sent or
cancelled shows its editor read-only with why, and a POST to it is refused
(409) with that reason, never dropped.

The editor's every submit button saves what was typed first, then does what
the button says (``Action``): a failed send leaves the campaign saved as it
was typed, with the reason on the page.
"""

from functools import partial

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.csp import CSP
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketing import mail, policies, segments
from marketing.forms.campaigns import Action, CampaignForm, CostForm
from marketing.models import Campaign, Segment
from marketing.selectors import campaign_pages as pages
from marketing.selectors.campaigns import campaign_stats
from marketing.selectors.roi import campaign_results
from marketing.services import campaigns as services
from records.deal_forms import CURRENCIES
from workspace.forms import call_service
from workspace.htmx import refused
from workspace.live.templatetags.live import live_since

EDITOR = "marketing/campaigns/editor.html"
DETAIL = "marketing/campaigns/detail.html"
LIST = "marketing/campaigns/list.html"
CAMPAIGNS_PER_PAGE = 20
RECIPIENTS_PER_PAGE = 25
MERGED_FIELDS = ("subject", "preheader", "body")  # the fields that take merge fields
MANAGERS_ONLY = "Only the marketing department and admins can change campaigns."
# Sample merge values the helper inserts; a first name reads badly when blank.
MERGE_DEFAULTS = {"contact.first_name": "there"}
# The preview is a campaign's email as sent: its own inline styles, remote images, no
# script at all, framed only by our own pages, and sandboxed even when opened alone.
PREVIEW_CSP = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "img-src": ["https:", "data:"],
    "font-src": ["https:", "data:"],
    "form-action": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.SELF],
    "sandbox": True,
}


def require_viewer(request) -> None:
    if not policies.can_view_marketing(request.user):
        raise PermissionDenied("Marketing is open to active staff only.")


def require_manager(request) -> None:
    require_viewer(request)
    if not policies.can_manage_marketing(request.user):
        raise PermissionDenied(MANAGERS_ONLY)


def access_campaign(request, pk) -> Campaign:
    require_viewer(request)
    return get_object_or_404(Campaign.objects.select_related("segment", "created_by"), pk=pk)


def reason(error) -> str:
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)


# --- The list ----------------------------------------------------------------------------


@require_GET
def campaign_list(request):
    require_viewer(request)
    status = request.GET.get("status", "")
    if status not in pages.STATUS_ORDER:
        status = ""
    page = Paginator(pages.campaigns(status), CAMPAIGNS_PER_PAGE).get_page(request.GET.get("page"))
    pages.figures_of(page.object_list)
    counts = pages.counts_by_status()
    context = {
        "page": page,
        "status": status,
        "statuses": [
            (value, label, counts.get(value, 0)) for value, label in Campaign.Status.choices
        ],
        "total": sum(counts.values()),
        "can_manage": policies.can_manage_marketing(request.user),
    }
    if request.htmx and request.htmx.target == "campaign-results":
        return render(request, f"{LIST}#results", context)
    return render(request, LIST, context)


# --- The editor --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def campaign_new(request):
    require_manager(request)
    form = CampaignForm(request.POST or None, viewer=request.user)
    if request.method == "POST" and form.is_valid():
        create = partial(services.create_campaign, actor=request.user, **form.service_fields())
        campaign = call_service(form, create)
        if campaign is not None:
            return after_save(request, form, campaign)
    return editor(request, form, None, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def campaign_edit(request, pk):
    campaign = access_campaign(request, pk)
    editable = policies.can_manage_marketing(request.user) and campaign.is_editable
    if request.method == "POST":
        require_manager(request)
        if not editable:
            form = CampaignForm(viewer=request.user, campaign=campaign, read_only=True)
            return editor(request, form, campaign, status=409, refusal=read_only_reason(campaign))
    form = CampaignForm(
        request.POST or None, viewer=request.user, campaign=campaign, read_only=not editable
    )
    if request.method == "POST" and form.is_valid():

        def update() -> Campaign:
            fields = form.service_fields()
            services.update_campaign(actor=request.user, campaign=campaign, **fields)
            return campaign

        if call_service(form, update) is not None:
            return after_save(request, form, campaign)
    return editor(request, form, campaign, status=422 if form.errors else 200)


def editor(request, form, campaign, *, status=200, refusal: str = "") -> HttpResponse:
    can_manage = policies.can_manage_marketing(request.user)
    editable = can_manage and (campaign is None or campaign.is_editable)
    problems = content_problems(*content_of(form, campaign))
    not_twice(form, problems)
    segment = chosen_segment(form, campaign)
    context = {
        "form": form,
        "campaign": campaign,
        "can_manage": can_manage,
        "editable": editable,
        "read_only_reason": "" if editable else read_only_reason(campaign, can_manage),
        "refusal": refusal,
        "problems": problems,
        "merge_fields": merge_helpers(),
        "segment": segment,
        "segment_count": segments.count_of(segment) if segment else None,
        "layouts": Campaign.Layout.choices,
        "zone": request.user.timezone,
        "preview_url": preview_url(campaign),
    }
    return render(request, EDITOR, context, status=status)


def content_of(form, campaign) -> tuple[str, str, str]:
    """The subject, preheader and body the editor shows: as typed, else as saved."""
    if form.is_bound:
        return tuple(form.data.get(name, "") for name in MERGED_FIELDS)
    return tuple(getattr(campaign, name) if campaign else "" for name in MERGED_FIELDS)


def content_problems(subject: str, preheader: str, body: str) -> list[str]:
    """What to fix in the merge fields before the campaign can be sent."""
    errors = services.content_errors(subject=subject, preheader=preheader, body=body)
    return [problem for problems in errors.values() for problem in problems]


def not_twice(form, problems: list[str]) -> None:
    """Drop from the fields' errors the merge-field problems the editor lists by the body."""
    for name in MERGED_FIELDS:
        if name in form.errors:
            kept = [error for error in form.errors[name] if error not in problems]
            form.errors[name][:] = kept
            if not kept:
                del form.errors[name]


def chosen_segment(form, campaign) -> Segment | None:
    if form.is_bound:
        return Segment.objects.filter(pk=digits(form.data.get("segment"))).first()
    return campaign.segment if campaign else None


def digits(text) -> int | None:
    text = str(text or "").strip()
    return int(text) if text.isdigit() else None


def merge_helpers() -> list[tuple[str, str, str]]:
    """(field, description, what clicking it inserts) for the editor's merge-field helper."""
    return [(name, description, merge_tag(name)) for name, description in mail.MERGE_FIELDS.items()]


def merge_tag(name: str) -> str:
    default = MERGE_DEFAULTS.get(name)
    return f'{{{{ {name}|default:"{default}" }}}}' if default else f"{{{{ {name} }}}}"


def read_only_reason(campaign: Campaign | None, can_manage: bool = True) -> str:
    if not can_manage:
        return MANAGERS_ONLY
    if campaign.status == Campaign.Status.SENDING:
        return (
            "This campaign is sending, so its email can no longer change. "
            "Cancel it to stop the emails not yet sent."
        )
    if campaign.status == Campaign.Status.SENT:
        return (
            "This campaign was sent: what went out cannot change. "
            "Its cost can still be set on its results page."
        )
    return "This campaign was cancelled: it can no longer be edited or sent."


def after_save(request, form, campaign) -> HttpResponse:
    """Do what the pressed button asks of the saved campaign; a refusal leaves it saved
    and says why on its editor."""
    action = form.chosen_action
    try:
        message = ACTIONS[action](request, form, campaign)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, f"Saved, but {NOT_DONE[action]}: {reason(error)}")
        return redirect("marketing:campaign_edit", pk=campaign.pk)
    messages.success(request, message)
    if action == Action.SEND:
        return redirect("marketing:campaign_detail", pk=campaign.pk)
    return redirect("marketing:campaign_edit", pk=campaign.pk)


def saved(request, form, campaign) -> str:
    return f"“{campaign.name}” saved."


def test_sent(request, form, campaign) -> str:
    services.send_test(actor=request.user, campaign=campaign)
    return f"Test sent to {request.user.email}. It arrives within a minute."


def sent_now(request, form, campaign) -> str:
    services.schedule_campaign(actor=request.user, campaign=campaign, when=None)
    return f"“{campaign.name}” is sending. Figures below update as it goes."


def scheduled(request, form, campaign) -> str:
    when = form.cleaned_data["send_at"]
    services.schedule_campaign(actor=request.user, campaign=campaign, when=when)
    local = formats.date_format(timezone.localtime(when), "D j M Y, H:i")
    return f"“{campaign.name}” is scheduled for {local} ({request.user.timezone})."


ACTIONS = {
    Action.SAVE: saved,
    Action.TEST: test_sent,
    Action.SEND: sent_now,
    Action.SCHEDULE: scheduled,
}
NOT_DONE = {
    Action.SAVE: "not saved",
    Action.TEST: "no test was sent",
    Action.SEND: "not sent",
    Action.SCHEDULE: "not scheduled",
}


@require_POST
def campaign_cancel(request, pk):
    campaign = access_campaign(request, pk)
    page_url = reverse("marketing:campaign_detail", args=[campaign.pk])
    if not policies.can_manage_marketing(request.user):
        return refused(request, MANAGERS_ONLY, 403, page_url=page_url)
    try:
        services.cancel_campaign(actor=request.user, campaign=campaign)
    except (PermissionDenied, ValidationError) as error:
        status = 403 if isinstance(error, PermissionDenied) else 409
        return refused(request, reason(error), status, page_url=page_url)
    messages.success(request, f"“{campaign.name}” is cancelled. Nothing more will be sent.")
    return redirect(page_url)


@require_POST
def campaign_duplicate(request, pk):
    campaign = access_campaign(request, pk)
    page_url = reverse("marketing:campaign_detail", args=[campaign.pk])
    try:
        copy = services.duplicate_campaign(actor=request.user, campaign=campaign)
    except PermissionDenied as error:
        return refused(request, reason(error) or MANAGERS_ONLY, 403, page_url=page_url)
    messages.success(request, f"“{copy.name}” is a new draft: change it, then send it.")
    return redirect("marketing:campaign_edit", pk=copy.pk)


# --- Checking and previewing as you type ---------------------------------------------------


@require_POST
def campaign_check(request):
    """The merge-field problems of the subject and body typed so far (htmx, debounced)."""
    require_viewer(request)
    context = {"problems": content_problems(*typed_content(request))}
    return render(request, f"{EDITOR}#problems", context)


def typed_content(request) -> tuple[str, str, str]:
    """The subject, preheader and body posted, cut at the lengths the form accepts."""
    return tuple(
        request.POST.get(name, "")[: CampaignForm.base_fields[name].max_length]
        for name in MERGED_FIELDS
    )


@require_GET
def segment_count(request):
    """How many clients and contacts the segment picked in the editor has, now (htmx)."""
    require_viewer(request)
    segment = Segment.objects.filter(pk=digits(request.GET.get("segment"))).first()
    context = {"segment": segment, "segment_count": segments.count_of(segment) if segment else None}
    return render(request, f"{EDITOR}#segment-count", context)


def preview_url(campaign: Campaign | None) -> str:
    if campaign is None:
        return reverse("marketing:campaign_preview_new")
    return reverse("marketing:campaign_preview", args=[campaign.pk])


@require_http_methods(["GET", "POST"])
@xframe_options_sameorigin
@csp_override(PREVIEW_CSP)
def campaign_preview(request, pk=None):
    """The email as a contact of its segment would get it (or with sample values), alone
    in a sandboxed frame. GET: as saved; POST (the editor, as you type): as typed."""
    if pk is None and request.method == "GET":
        return HttpResponse(render_to_string("marketing/campaigns/preview_empty.html"))
    campaign = access_campaign(request, pk) if pk else Campaign()
    if request.method == "POST":
        campaign = as_typed(request, campaign)
    problems = content_problems(campaign.subject, campaign.preheader, campaign.body)
    if problems:
        html = render_to_string("marketing/campaigns/preview_empty.html", {"problems": problems})
        return HttpResponse(html)
    contact = pages.sample_contact(campaign.segment) if campaign.segment_id else None
    return HttpResponse(mail.render_message(campaign=campaign, contact=contact).html)


def as_typed(request, campaign: Campaign) -> Campaign:
    """An unsaved copy of ``campaign`` with the content typed in the editor."""
    campaign.subject, campaign.preheader, campaign.body = typed_content(request)
    layout = request.POST.get("layout", "")
    campaign.layout = layout if layout in Campaign.Layout.values else Campaign.Layout.PLAIN
    campaign.utm_campaign = request.POST.get("utm_campaign", "")[:100]
    campaign.segment = Segment.objects.filter(pk=digits(request.POST.get("segment"))).first()
    return campaign


# --- Results ---------------------------------------------------------------------------------


@require_GET
def campaign_detail(request, pk):
    campaign = access_campaign(request, pk)
    state = request.GET.get("state", "")
    if state not in pages.RECIPIENT_FILTERS:
        state = ""
    recipients = Paginator(pages.recipients(campaign, state), RECIPIENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "campaign": campaign,
        "state": state,
        "filters": [(key, label) for key, (label, _q) in pages.RECIPIENT_FILTERS.items()],
        "recipients": recipients,
    }
    if request.htmx and request.htmx.target == "campaign-recipients":
        return render(request, f"{DETAIL}#recipients", context)
    context |= {
        "drawn": live_since(),  # before reading: the figures are at least this recent
        "stats": campaign_stats(campaign),
        "results": campaign_results(campaign),
        "can_manage": policies.can_manage_marketing(request.user),
        "preview_url": preview_url(campaign),
        "currencies": CURRENCIES,
    }
    return render(request, DETAIL, context)


@require_POST
def campaign_cost(request, pk):
    """Set what the campaign cost, any time (its ROI reads it); back to its results."""
    campaign = access_campaign(request, pk)
    page_url = reverse("marketing:campaign_detail", args=[campaign.pk]) + "#campaign-roi"
    if not policies.can_manage_marketing(request.user):
        return refused(request, MANAGERS_ONLY, 403, page_url=page_url)
    form = CostForm(request.POST)
    if not form.is_valid():
        errors = [error for field_errors in form.errors.values() for error in field_errors]
        return refused(request, " ".join(errors), 422, page_url=page_url)
    try:
        services.update_campaign(actor=request.user, campaign=campaign, **form.cleaned_data)
    except (PermissionDenied, ValidationError) as error:
        status = 403 if isinstance(error, PermissionDenied) else 422
        return refused(request, reason(error), status, page_url=page_url)
    messages.success(request, "Cost saved: the ROI below counts it.")
    return redirect(page_url)
