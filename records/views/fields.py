"""Click-to-edit of one field (``{% field_editor %}``) and a record's field history.

The editor posts the new value with the value it started from (``seen_value``);
``services.update_field`` refuses the save when someone changed that field
meanwhile, and the editor then shows their value and name with "Keep theirs" /
"Use mine" (which re-submits with their value as the new baseline).
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from records import policies, services
from records.models import Client, FieldChange
from records.selectors.fields import (
    MODELS,
    custom_definitions,
    editable_text,
    editor_options,
    field_view,
    load_record,
)
from records.services.base import CUSTOM_PREFIX

LAYOUTS = ("row", "stack", "title")
HISTORY_PER_PAGE = 50


def _record(user, model: str, pk: int):
    if model not in MODELS:
        raise Http404("No such record.")
    return getattr(policies, f"access_{model}")(user, pk)


def _editable_view(obj, field: str):
    """The field's view, or 404 when the field is not one a person edits here."""
    model = type(obj)
    if field.startswith(CUSTOM_PREFIX) and model is Client:
        view = field_view(obj, field, custom_definitions())
        if view.definition is None:
            raise Http404("No such field.")
        return view
    if field not in services.EDITABLE_FIELDS.get(model, ()):
        raise Http404("No such field.")
    return field_view(obj, field)


def _layout(request) -> str:
    layout = request.POST.get("layout") or request.GET.get("layout")
    return layout if layout in LAYOUTS else "row"


def record_url(obj) -> str:
    """The page a record is edited on (a contact's is its client's)."""
    name = type(obj)._meta.model_name
    if name == "contact":
        return reverse("records:client_detail", args=[obj.client_id])
    return reverse(f"records:{name}_detail", args=[obj.pk])


def _editor(request, view, *, value, seen_value, status=200, error=None, conflict=None):
    urls = (view.model_name, view.obj.pk, view.field)
    layout = _layout(request)
    context = {
        "v": view,
        "layout": layout,
        "options": editor_options(view),
        "value": value,
        "seen_value": seen_value,
        "error": error,
        "conflict": conflict,
        "edit_url": reverse("records:field_edit", args=urls),
        "show_url": f"{reverse('records:field_show', args=urls)}?layout={layout}",
        "back_url": record_url(view.obj),
    }
    template = "records/fields.html#editor" if request.htmx else "records/field_page.html"
    return render(request, template, context, status=status)


def _display(request, obj, field: str):
    obj = load_record(type(obj)._meta.model_name, obj.pk)
    context = {
        "v": field_view(obj, field),
        "layout": _layout(request),
        "can_edit": policies.can_edit_field(request.user, obj, field),
    }
    return render(request, "records/fields.html#field", context)


def field_show(request, model: str, pk: int, field: str):
    """The field as the page shows it (what Cancel and "Keep theirs" return to)."""
    obj = _record(request.user, model, pk)
    _editable_view(obj, field)
    if not request.htmx:
        return redirect(record_url(obj))
    return _display(request, obj, field)


def field_edit(request, model: str, pk: int, field: str):
    """GET: the editor. POST: save through ``update_field``; conflicts and errors inline."""
    obj = _record(request.user, model, pk)
    view = _editable_view(obj, field)
    if not policies.can_edit_field(request.user, obj, field):
        reason = f"You cannot change {view.label.lower()} of this {type(obj)._meta.verbose_name}."
        return _editor(request, view, value=view.raw, seen_value=view.raw, status=403, error=reason)
    if request.method != "POST":
        return _editor(request, view, value=view.raw, seen_value=view.raw)
    value = request.POST.get("value", "")
    seen_value = request.POST.get("seen_value", "")
    try:
        services.update_field(
            actor=request.user, obj=obj, field=field, value=value, seen_value=seen_value
        )
    except services.FieldConflict as conflict:
        return _editor(
            request,
            view,
            value=value,
            seen_value=editable_text(conflict.current),
            status=409,
            conflict=conflict,
        )
    except PermissionDenied as denied:
        return _editor(
            request, view, value=value, seen_value=seen_value, status=403, error=str(denied)
        )
    except ValidationError as invalid:
        return _editor(
            request,
            view,
            value=value,
            seen_value=seen_value,
            status=422,
            error=" ".join(invalid.messages),
        )
    if not request.htmx:
        return redirect(record_url(obj))
    return _display(request, obj, field)


def history(request, model: str, pk: int):
    """Every recorded change of a record's fields (``?field=`` narrows to one): the audit."""
    obj = _record(request.user, model, pk)
    changes = FieldChange.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).select_related("actor")
    field = request.GET.get("field", "")
    if field:
        changes = changes.filter(field=field)
    page = Paginator(changes, HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    labels = {name: _label(obj, name) for name in {change.field for change in page}}
    for change in page:
        change.label = labels[change.field]
    context = {
        "record": obj,
        "model": model,
        "page": page,
        "field": field,
        "field_label": _label(obj, field) if field else "",
        "back_url": record_url(obj),
    }
    return render(request, "records/history.html", context)


def _label(obj, field: str) -> str:
    try:
        return field_view(obj, field).label
    except FieldDoesNotExist:
        return field.replace("_", " ").capitalize()
