"""Marketing's pages: the overview, and (in their modules) segments, campaigns, forms."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from marketing import policies
from marketing.models import Campaign
from marketing.selectors import campaign_pages as pages

SENT_PER_PAGE = 8


@require_GET
def marketing_home(request):
    """What a marketer opens every morning: the key numbers of the last 30 days, the
    campaigns that need a hand (drafts, scheduled, sending) and how the sent ones did."""
    if not policies.can_view_marketing(request.user):
        raise PermissionDenied("Marketing is open to active staff only.")
    sent = Paginator(pages.campaigns(Campaign.Status.SENT), SENT_PER_PAGE).get_page(
        request.GET.get("page")
    )
    pages.figures_of(sent.object_list)
    context = {
        **pages.home_campaigns(),
        "sent": sent,
        "numbers": pages.key_numbers(),
        "recent_days": pages.RECENT_DAYS,
        "can_manage": policies.can_manage_marketing(request.user),
    }
    if request.htmx and request.htmx.target == "home-sent":
        return render(request, "marketing/home.html#sent", context)
    return render(request, "marketing/home.html", context)
