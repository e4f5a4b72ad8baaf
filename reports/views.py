"""Report pages: the catalog, and one page per report (chart, table, CSV), live.

A report's filters are its query string (reports/filters.py). The same URL
answers the full page, the htmx refresh of its body (filters changed, or a
live ``report.changed`` arrived) and, with ``format=csv``, the table as CSV.
"""

import csv

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from records.models import Pipeline
from reports import caching, catalog, filters, policies

PAGE = "reports/report.html"
INDEX = "reports/index.html"


def _require_viewer(request) -> None:
    if not policies.can_view_reports(request.user):
        raise Http404


@require_GET
def reports_home(request):
    _require_viewer(request)
    return render(request, INDEX, {"areas": catalog.by_area()})


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
    }
    if request.htmx and request.htmx.target == "report-body":
        return render(request, f"{PAGE}#report-body", context)
    return render(request, PAGE, context)


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
