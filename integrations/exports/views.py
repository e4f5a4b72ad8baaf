"""Downloads: a list as CSV or XLSX (and contacts as vCard), and an admin's full export.

A list export reads the same query string as the list page (filters, search,
sort) through the same selector, so the file holds exactly the page's rows, in
its order, every page of them. Lists are shared: whoever may see the list may
export it. The full export is for admins only, and each one's files for them alone.
"""

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.http.response import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from integrations.exports import full, writers
from integrations.exports.tables import CHUNK, TABLES
from integrations.exports.tasks import build_full_export
from records import policies
from records.selectors import lists

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "vcf": "text/vcard; charset=utf-8",
}
VCARD_LISTS = {"contacts"}


def _download(request, lines, content_type: str, filename: str) -> StreamingHttpResponse:
    """Stream ``lines`` as an attachment (in batches under ASGI: see ``writers.batched``)."""
    content = writers.batched(lines) if isinstance(request, ASGIRequest) else lines
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _filename(name: str, extension: str) -> str:
    return f"{name}-{timezone.localdate().isoformat()}.{extension}"


def _check_can_view(user) -> None:
    if not policies.can_view(user):
        raise PermissionDenied("You cannot see records.")


def list_export(request, list_name: str, fmt: str):
    """The list ``list_name`` as the query string asks for it, in format ``fmt``."""
    _check_can_view(request.user)
    table = TABLES.get(list_name)
    if table is None:
        raise Http404("There is no such list.")
    if fmt not in FORMATS or (fmt == "vcf" and list_name not in VCARD_LISTS):
        offered = ", ".join(["csv", "xlsx", *(["vcf"] if list_name in VCARD_LISTS else [])])
        return HttpResponseBadRequest(
            f"“{fmt}” is not an export format for {list_name}; use one of: {offered}.",
            content_type="text/plain; charset=utf-8",
        )
    state = lists.read(table.spec, request.GET, request.user)
    filename = _filename(list_name, fmt)
    if fmt == "csv":
        lines = writers.csv_lines(table.rows(state, request.user))
        return _download(request, lines, FORMATS["csv"], filename)
    if fmt == "xlsx":
        target = writers.xlsx_file(table.rows(state, request.user), table.spec.title)
        return FileResponse(target, as_attachment=True, filename=filename)
    contacts = table.queryset(state, request.user).iterator(chunk_size=CHUNK)
    return _download(request, writers.vcards(contacts), FORMATS["vcf"], filename)


def contact_vcard(request, pk: int):
    """One contact as a vCard (404 for a contact the viewer cannot see, as its page)."""
    contact = policies.access_contact(request.user, pk)
    response = HttpResponse(writers.vcard(contact), content_type=FORMATS["vcf"])
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}.vcf"'
    return response


def _check_admin(user) -> None:
    if not user.is_admin:
        raise PermissionDenied("Only admins can export everything.")


def full_page(request):
    """The admin's full exports: start one, download or delete the finished ones."""
    _check_admin(request.user)
    full.prune()
    here = timezone.get_current_timezone()
    exports = [
        {
            "name": path.name,
            "size": path.stat().st_size,
            "made": datetime.fromtimestamp(path.stat().st_mtime, tz=here),
        }
        for path in full.ready(request.user)
    ]
    context = {
        "exports": exports,
        "pending": full.pending(request.user),
        "retention_days": full.RETENTION.days,
    }
    return render(request, "integrations/exports/full.html", context)


@require_POST
def full_start(request):
    """Queue a full export for this admin; the page (and a notification) shows it when ready."""
    _check_admin(request.user)
    full.prune()
    path = full.new_path(request.user)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_name(path.name + full.PARTIAL).touch()
    build_full_export.enqueue(request.user.pk, path.name)
    messages.success(request, "Your full export is being built; you will be told when it is ready.")
    return redirect("exports:full")


def full_download(request, name: str):
    """One of this admin's finished exports (404 for any other name, or person)."""
    _check_admin(request.user)
    path = full.find(request.user, name)
    if path is None:
        raise Http404("There is no such export; it may have expired.")
    filename = f"workspace-export-{datetime.fromtimestamp(path.stat().st_mtime).date()}.zip"
    return FileResponse(path.open("rb"), as_attachment=True, filename=filename)


@require_POST
def full_delete(request, name: str):
    _check_admin(request.user)
    path = full.find(request.user, name)
    if path is None:
        raise Http404("There is no such export; it may have expired.")
    path.unlink(missing_ok=True)
    messages.success(request, "The export was deleted.")
    return redirect("exports:full")
