"""The import wizard: upload → map columns → preview (with the dry run and duplicate
handling) → run (live progress) → result report → undo.

One page per run (``run_detail``) shows the step the run is at. A run is seen
only by its owner and admins (404 for others, as for a missing run). An
upload whose Content-Length is over ``IMPORT_MAX_BYTES`` is refused (413)
before Django reads the body.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from integrations.imports import engine, mapping, policies, reading, services
from integrations.imports.models import ImportRun

PREVIEW_ROWS = 20
RUNS_PER_PAGE = 20
REPORT_ROWS = 200


def _run(request, pk) -> ImportRun:
    run = get_object_or_404(ImportRun.objects.select_related("user"), pk=pk)
    if not policies.can_view_run(request.user, run):
        raise Http404("No such import.")
    return run


def _too_large(request) -> HttpResponse | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    try:
        reading.check_size(length)
    except reading.UnreadableFile as error:
        return HttpResponse(str(error), status=413, content_type="text/plain")
    return None


@login_required
@require_http_methods(["GET", "POST"])
def run_list(request):
    """The runs (a page at a time) and the upload form."""
    if not policies.can_import(request.user):
        raise PermissionDenied("Only staff in a department can import.")
    errors = []
    if request.method == "POST":
        refused = _too_large(request)
        if refused:
            return refused
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ValidationError({"file": "Choose a file to import."})
            run = services.upload(
                actor=request.user, upload_file=upload, kind=request.POST.get("kind", "")
            )
        except ValidationError as error:
            errors = error.messages
        else:
            return redirect("imports:run", run.pk)
    runs = policies.runs_of(request.user).select_related("user")
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "errors": errors,
        "kinds": ImportRun.Kind.choices,
        "max_mb": reading.max_bytes() // 1_000_000,
    }
    return render(request, "integrations/imports/list.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def run_mapping(request, pk):
    """Map the columns (the guess or the saved mapping first)."""
    run = _run(request, pk)
    errors = []
    if request.method == "POST":
        columns = {h: request.POST.get(f"column-{i}", "") for i, h in enumerate(run.headers)}
        try:
            services.set_mapping(actor=request.user, run=run, columns=columns)
        except ValidationError as error:
            errors = error.messages
            run.mapping = columns
        else:
            return redirect("imports:preview", run.pk)
    table = engine.read(run)
    columns = [
        {
            "index": i,
            "header": header,
            "field": run.mapping.get(header, ""),
            "samples": [row[header] for row in table.rows[:3] if row.get(header)],
        }
        for i, header in enumerate(run.headers)
    ]
    context = {
        "run": run,
        "columns": columns,
        "choices": mapping.field_choices(run.kind),
        "errors": errors,
        "step": "map",
    }
    return render(
        request, "integrations/imports/mapping.html", context, status=400 if errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def run_preview(request, pk):
    """The first rows as they would be imported, every row's errors counted, duplicates
    handled as chosen, and the dry run's counts."""
    run = _run(request, pk)
    if run.status == ImportRun.Status.UPLOADED:
        return redirect("imports:mapping", run.pk)
    if run.status not in (ImportRun.Status.MAPPED, ImportRun.Status.PREVIEWED):
        return redirect("imports:run", run.pk)
    errors = []
    if request.method == "POST":
        try:
            services.set_duplicate_mode(
                actor=request.user, run=run, mode=request.POST.get("duplicate_mode", "")
            )
        except ValidationError as error:
            errors = error.messages
    steps, outcome = [], engine.Outcome()
    for step in engine.plan(run):
        outcome.count(step)
        if len(steps) < PREVIEW_ROWS:
            steps.append(step)
    fields = [f for f in mapping.FIELDS[run.kind] if f in run.mapping.values()]
    context = {
        "run": run,
        "steps": steps,
        "outcome": outcome,
        "failures": [r for r in outcome.report if r["outcome"] == "failed"][:PREVIEW_ROWS],
        "fields": [(f, mapping.label_of(run.kind, f)) for f in fields],
        "modes": ImportRun.Duplicates.choices,
        "errors": errors,
        "step": "preview",
    }
    return render(request, "integrations/imports/preview.html", context)


@login_required
@require_POST
def run_start(request, pk):
    run = _run(request, pk)
    try:
        services.start(actor=request.user, run=run)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("imports:run", run.pk)


@login_required
def run_detail(request, pk):
    """The run: its live progress while it runs, then the report and the undo button."""
    run = _run(request, pk)
    if run.status == ImportRun.Status.UPLOADED:
        return redirect("imports:mapping", run.pk)
    if run.status in (ImportRun.Status.MAPPED, ImportRun.Status.PREVIEWED):
        return redirect("imports:preview", run.pk)
    context = {"run": run, "report": run.report[:REPORT_ROWS], "step": "run"}
    return render(request, "integrations/imports/detail.html", context)


@login_required
@require_POST
def run_undo(request, pk):
    run = _run(request, pk)
    try:
        kept = services.undo_run(actor=request.user, run=run)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        note = f" {len(kept)} changes were kept: see below." if kept else ""
        messages.success(request, f"The import was undone.{note}")
    return redirect("imports:run", run.pk)
