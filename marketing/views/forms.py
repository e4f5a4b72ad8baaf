"""The web form builder: the list of forms, a form's page (public address, embed snippet,
recent submissions) and the new/edit page (settings, fields, consent, routing rules).

All staff read; building and changing takes ``can_manage_marketing``.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.http import require_GET

from marketing import policies
from marketing.forms_builder import (
    WebFormSettingsForm,
    field_formset,
    field_specs,
    rule_formset,
    rule_specs,
)
from marketing.models import Submission, WebForm
from marketing.services import forms as services
from marketing.web_forms import targets
from workspace.forms import call_service

FORMS_PER_PAGE = 25
RECENT_SUBMISSIONS = 25
EMBED_HEIGHT = 640


def _require_viewer(request) -> None:
    if not policies.can_view_marketing(request.user):
        raise PermissionDenied("Marketing is open to active staff only.")


def _require_manager(request) -> None:
    if not policies.can_manage_marketing(request.user):
        raise PermissionDenied("Only marketing can build and change web forms.")


@require_GET
def form_list(request):
    _require_viewer(request)
    forms = (
        WebForm.objects.select_related("department", "fallback_owner")
        .annotate(
            submission_count=Count("submissions"), last_submission=Max("submissions__created_at")
        )
        .order_by("name", "pk")
    )
    page = Paginator(forms, FORMS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "can_manage": policies.can_manage_marketing(request.user)}
    return render(request, "marketing/forms/list.html", context)


@require_GET
def form_detail(request, pk: int):
    _require_viewer(request)
    webform = get_object_or_404(
        WebForm.objects.select_related("department", "fallback_owner"), pk=pk
    )
    submissions = (
        Submission.objects.filter(form=webform)
        .select_related("contact", "client", "routed_to", "rule")
        .order_by("-created_at", "-pk")[:RECENT_SUBMISSIONS]
    )
    public_url = request.build_absolute_uri(reverse("marketing:form_public", args=[webform.key]))
    available = targets()
    context = {
        "webform": webform,
        "fields": [{**row, "target": available.get(row["maps_to"])} for row in webform.fields],
        "rules": webform.rules.select_related("owner", "department"),
        "submissions": submissions,
        "public_url": public_url,
        "embed": embed_snippet(webform, public_url),
        "origins": webform.allowed_origins.split(),
        "can_manage": policies.can_manage_marketing(request.user),
    }
    return render(request, "marketing/forms/detail.html", context)


def embed_snippet(webform: WebForm, public_url: str) -> str:
    """The ``<iframe>`` a website pastes to show the form (escaped when shown)."""
    title = escape(webform.title or webform.name)
    return (
        f'<iframe src="{public_url}" title="{title}" width="100%" height="{EMBED_HEIGHT}" '
        'style="border:0;max-width:640px" loading="lazy"></iframe>'
    )


def form_new(request):
    _require_manager(request)
    return _builder(request, None)


def form_edit(request, pk: int):
    _require_manager(request)
    return _builder(request, get_object_or_404(WebForm, pk=pk))


def _builder(request, webform: WebForm | None):
    """The new/edit page: settings, fields and rules; saved together or not at all."""
    data = request.POST if request.method == "POST" else None
    settings_form = WebFormSettingsForm(data, instance=webform)
    fields = field_formset(webform, data)
    rules = rule_formset(webform, data)
    if data is not None and all(part.is_valid() for part in (settings_form, fields, rules)):
        saved = call_service(
            settings_form, lambda: _save(request, webform, settings_form, fields, rules)
        )
        if saved is not None:
            messages.success(request, f"Form “{saved}” saved.")
            return redirect("marketing:form_detail", pk=saved.pk)
    context = {
        "webform": webform,
        "settings_form": settings_form,
        "fields": fields,
        "rules": rules,
    }
    return render(request, "marketing/forms/edit.html", context)


def _save(request, webform, settings_form, fields, rules) -> WebForm:
    arguments = {
        **settings_form.service_arguments(),
        "fields": field_specs(fields),
        "rules": rule_specs(rules),
    }
    if webform is None:
        return services.create_form(actor=request.user, **arguments)
    return services.update_form(actor=request.user, form=webform, **arguments)
