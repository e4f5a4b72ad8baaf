"""Report pages: the catalog, and one page per report (chart, table, CSV), live.

A report's filters are its query string (reports/filters.py). The same URL
answers the full page, the htmx refresh of its body (filters changed, or a
live ``report.changed`` arrived) and, with ``format=csv``, the table as CSV.
"""

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from records.models import Pipeline
from reports import caching, catalog, filters, home, policies, services
from reports.forms import SubscribeForm, subscription_when
from reports.models import ReportSubscription
from workspace.htmx import refused

PAGE = "reports/report.html"
INDEX = "reports/index.html"


def _require_viewer(request) -> None:
    if not policies.can_view_reports(request.user):
        raise Http404


@require_GET
def reports_home(request):
    _require_viewer(request)
    subscriptions = [
        (subscription, catalog.get(subscription.report), subscription_when(subscription))
        for subscription in request.user.report_subscriptions.select_related("user")
    ]
    context = {"areas": catalog.by_area(), "subscriptions": subscriptions}
    return render(request, INDEX, context)


@require_GET
def report_page(request, slug: str):
    _require_viewer(request)
    spec = catalog.get(slug)
    if spec is None:
        raise Http404("No such report.")
    chosen, form = filters.read_filters(request.user, request.GET)
    report = caching.computed(spec, chosen)
    if request.GET.get("format") == "csv":
        return csv_response(spec, chosen, report)
    context = {
        "spec": spec,
        "filters": chosen,
        "form": form,
        "report": report,
        "chart": report.chart_data(),
        "choices": filter_choices(spec, chosen),
        "areas": catalog.by_area(),
        "subscribe_form": SubscribeForm(initial={"query": chosen.query_string(), "hour": 8}),
        "subscription": _subscription_to(request.user, spec, chosen),
    }
    if request.htmx and request.htmx.target == "report-body":
        return render(request, f"{PAGE}#report-body", context)
    return render(request, PAGE, context)


def _subscription_to(user, spec, chosen):
    """The viewer's weekly email of this report with these filters, with its wording."""
    query = chosen.query_string()
    subscription = user.report_subscriptions.filter(report=spec.slug, query=query).first()
    return subscription and (subscription, subscription_when(subscription))


def filter_choices(spec, chosen) -> dict:
    """The options of the filters this report takes."""
    wanted = set(spec.filters)
    return {
        "periods": filters.PERIODS.items(),
        "departments": policies.visible_departments(chosen.scope) if "department" in wanted else (),
        "people": policies.visible_people(chosen.scope) if "person" in wanted else (),
        "pipelines": Pipeline.objects.all() if "pipeline" in wanted else (),
        "currencies": filters.currencies() if "currency" in wanted else (),
        "wanted": wanted,
    }


def csv_response(spec, chosen, report) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"{spec.slug}-{chosen.start}-{chosen.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerows(report.csv_rows())
    return response


@require_GET
def dashboard_card(request):
    """The home page's "Key numbers" card alone: fetched again when a report topic moves."""
    _require_viewer(request)
    return render(request, home.TEMPLATE, home.card_context(request.user))


# --- Weekly emails ---------------------------------------------------------------


@require_POST
def subscribe(request, slug: str):
    """Email this report, with the filters on the page, every week; back to the report."""
    _require_viewer(request)
    page_url = reverse("reports:report", args=[slug])
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return refused(request, "Pick a day of the week and an hour.", 422, page_url=page_url)
    data = form.cleaned_data
    try:
        subscription = services.subscribe(
            actor=request.user,
            slug=slug,
            query=data["query"],
            weekday=data["weekday"],
            hour=data["hour"],
        )
    except ValidationError as invalid:
        return refused(request, " ".join(invalid.messages), 422, page_url=page_url)
    messages.success(
        request, f"You will get this report by email every {subscription_when(subscription)}."
    )
    return redirect(f"{page_url}?{subscription.query}")


@require_POST
def unsubscribe(request, pk: int):
    """Stop one of the viewer's weekly emails (someone else's is 404)."""
    _require_viewer(request)
    subscription = get_object_or_404(ReportSubscription, pk=pk, user=request.user)
    services.unsubscribe(actor=request.user, subscription=subscription)
    messages.success(request, "That weekly email is stopped.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = f"{reverse('reports:home')}#subscriptions"
    return redirect(back)
