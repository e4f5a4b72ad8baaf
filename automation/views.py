"""Automation's pages: the rules in order, the rule builder, a rule's page with its run
log (live) and its dry run.

Everyone signed in sees the rules and their run logs (automation/policies.py); admins
and the managers of a rule's department build, switch, order and delete it. The
builder re-draws itself over htmx when its shape changes (a trigger chosen, a row
added or removed, an action's type or a choice that shows other inputs); saving is a
plain form post, so a refused save answers the whole page with everything typed kept
and each problem by its field or row.
"""

from functools import cached_property

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Department, Role, User
from automation import dryrun, events, forms, policies, rule_templates, services
from automation.models import Rule, RuleRun
from integrations.mail.models import Snippet
from integrations.webhooks.models import Endpoint
from workspace.htmx import run_write

RUNS_PER_PAGE = 25
BUILDER = "automation/rule_form.html"


def _viewer(request) -> None:
    if not policies.can_view_rules(request.user):
        raise PermissionDenied("Automation is open to active staff only.")


def _manager_of(request, rule: Rule) -> None:
    if not policies.can_manage_rule(request.user, rule):
        raise PermissionDenied("Only admins and the managers of its department change this rule.")


def _builder(request) -> None:
    if not policies.can_create_rules(request.user):
        raise PermissionDenied("Only admins and managers build rules.")


def with_last_run(rules):
    """Rules with the time and status of their latest run, in the same query."""
    latest = RuleRun.objects.filter(rule=OuterRef("pk")).order_by("-created_at", "-pk")
    return rules.annotate(
        last_run_at=Subquery(latest.values("created_at")[:1]),
        last_run_status=Subquery(latest.values("status")[:1]),
    )


@require_GET
def rule_list(request):
    _viewer(request)
    rules = with_last_run(Rule.objects.select_related("department", "owner"))
    context = {
        "rules": rules,
        "can_build": policies.can_create_rules(request.user),
        "templates": rule_templates.TEMPLATES,
        "managed": _managed_department_ids(request.user),
    }
    return TemplateResponse(request, "automation/rule_list.html", context)


def _managed_department_ids(user) -> set[int | None] | None:
    """The departments whose rules ``user`` manages (None: all, an admin)."""
    if user.is_admin:
        return None
    if not user.is_manager:
        return set()
    return set(user.departments.values_list("pk", flat=True))


@require_GET
def rule_detail(request, pk: int):
    rule = policies.access_rule(request.user, pk)
    runs = Paginator(rule.runs.all(), RUNS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "rule": rule,
        "runs": runs,
        "can_manage": policies.can_manage_rule(request.user, rule),
    }
    if request.htmx and request.GET.get("page"):
        return TemplateResponse(request, "automation/rule_detail.html#run-log", context)
    return TemplateResponse(request, "automation/rule_detail.html", context)


@require_http_methods(["GET", "POST"])
def rule_new(request):
    _builder(request)
    if request.method == "POST":
        return _save(request, None)
    departments = _department_choices(request.user)
    first = departments[0].pk if departments and not request.user.is_admin else None
    draft = forms.new_draft(owner=request.user, department_id=first)
    return _page(request, draft, rule=None)


@require_http_methods(["GET", "POST"])
def rule_edit(request, pk: int):
    rule = policies.access_rule(request.user, pk)
    _manager_of(request, rule)
    if request.method == "POST":
        return _save(request, rule)
    return _page(request, forms.from_rule(rule), rule=rule)


@require_POST
def rule_builder(request):
    """The builder re-drawn after a change of shape (htmx)."""
    _builder(request)
    draft = forms.from_post(request.POST)
    return TemplateResponse(request, f"{BUILDER}#builder", _context(request, draft, rule=None))


def _save(request, rule: Rule | None):
    draft = forms.from_post(request.POST)
    try:
        saved = _saved(request.user, draft, rule)
    except services.RuleConflict as conflict:
        draft.errors["conflict"] = conflict.messages
        return _page(request, draft, rule=rule, status=409)
    except ValidationError as invalid:
        by_field = hasattr(invalid, "error_dict")
        draft.add_errors(invalid.message_dict if by_field else {"general": invalid.messages})
        return _page(request, draft, rule=rule, status=400)
    except PermissionDenied as denied:
        draft.errors["general"] = [str(denied)]
        return _page(request, draft, rule=rule, status=403)
    messages.success(request, f"Saved “{saved.name}”.")
    return redirect("automation:rule_detail", saved.pk)


@transaction.atomic
def _saved(actor, draft: forms.Draft, rule: Rule | None) -> Rule:
    """The draft saved as a new rule or over ``rule`` (its on/off too), all or nothing."""
    fields = {**draft.rule_fields(), **_people_of(draft)}
    if rule is None:
        return services.create_rule(actor=actor, enabled=draft.enabled, **fields)
    saved = services.update_rule(actor=actor, rule=rule, seen_version=draft.version or 0, **fields)
    if saved.enabled != draft.enabled:
        saved = services.set_enabled(actor=actor, rule=saved, enabled=draft.enabled)
    return saved


def _people_of(draft: forms.Draft) -> dict:
    """The department and owner the draft names (unknown ids: refused by field)."""
    errors, found = {}, {"department": None, "owner": None}
    if draft.department:
        found["department"] = Department.objects.filter(pk=_id(draft.department)).first()
        if found["department"] is None:
            errors["department"] = ["Choose a department from the list."]
    found["owner"] = User.objects.filter(pk=_id(draft.owner), is_active=True).first()
    if found["owner"] is None:
        errors["owner"] = ["Choose who the rule acts as: an active admin or manager."]
    if errors:
        raise ValidationError(errors)
    return found


def _id(raw: str) -> int:
    return int(raw) if str(raw).isdigit() else 0


def _page(request, draft, *, rule, status=200):
    return TemplateResponse(request, BUILDER, _context(request, draft, rule=rule), status=status)


def _context(request, draft, *, rule) -> dict:
    return {
        "draft": draft,
        "rule": rule,
        "choices": Choices(),
        "departments": _department_choices(request.user),
        "workspace_wide": request.user.is_admin,
        "owners": User.objects.filter(is_active=True, role__in=[Role.ADMIN, Role.MANAGER]),
    }


def _department_choices(user):
    departments = Department.objects.all()
    return list(departments if user.is_admin else departments.filter(members=user))


class Choices:
    """What the action settings offer, each loaded once and only if drawn."""

    @cached_property
    def people(self):
        return list(User.objects.filter(is_active=True))

    @cached_property
    def departments(self):
        return list(Department.objects.all())

    @cached_property
    def snippets(self):
        return list(Snippet.objects.filter(owner__isnull=True))

    @cached_property
    def endpoints(self):
        return list(Endpoint.objects.filter(active=True))


@require_POST
def rule_switch(request, pk: int):
    rule = policies.access_rule(request.user, pk)
    enabled = request.POST.get("enabled") == "on"
    return run_write(
        request,
        lambda: services.set_enabled(actor=request.user, rule=rule, enabled=enabled),
        topic=events.RULES_TOPIC,
        page_url=request.POST.get("next") or reverse("automation:rule_detail", args=[pk]),
        forbidden="You may not switch this rule.",
    )


@require_POST
def rule_move(request, pk: int):
    """Up or down one place in the order (a plain post: the list is redrawn)."""
    rule = policies.access_rule(request.user, pk)
    ordered = list(Rule.objects.only("pk", "position"))
    at = next(i for i, other in enumerate(ordered) if other.pk == rule.pk)
    up = request.POST.get("direction") == "up"
    if (up and at == 0) or (not up and at == len(ordered) - 1):
        return redirect(f"{reverse('automation:rule_list')}#rule-{rule.pk}")
    before = ordered[at - 1] if up else (ordered[at + 2] if at + 2 < len(ordered) else None)
    try:
        services.move_rule(actor=request.user, rule=rule, before=before)
    except PermissionDenied as denied:
        messages.error(request, str(denied))
    return redirect(f"{reverse('automation:rule_list')}#rule-{rule.pk}")


@require_POST
def rule_delete(request, pk: int):
    rule = policies.access_rule(request.user, pk)
    try:
        services.delete_rule(actor=request.user, rule=rule)
    except PermissionDenied as denied:
        messages.error(request, str(denied))
        return redirect("automation:rule_detail", pk)
    messages.success(request, f"Deleted “{rule.name}” and its run log.")
    return redirect("automation:rule_list")


@require_GET
def rule_dry_run(request, pk: int):
    """What the rule would have done with the last 20 events (nothing is done)."""
    rule = policies.access_rule(request.user, pk)
    _manager_of(request, rule)
    context = {"rule": rule, "rows": dryrun.dry_run(rule, limit=20)}
    name = "automation/dry_run.html"
    return TemplateResponse(request, f"{name}#dry-run" if request.htmx else name, context)


@require_POST
def rule_from_template(request, key: str):
    """A new rule from one of the shipped templates, off, opened in the builder."""
    _builder(request)
    template = rule_templates.get(key)
    try:
        rule = rule_templates.create(template, actor=request.user)
    except ValidationError as invalid:
        return _template_refused(request, template, " ".join(invalid.messages))
    except PermissionDenied as denied:
        return _template_refused(request, template, str(denied))
    messages.success(request, f"Added “{rule.name}”, switched off: check it, then switch it on.")
    return redirect("automation:rule_edit", rule.pk)


def _template_refused(request, template, reason: str):
    messages.error(request, f"Could not start from “{template.name}”: {reason}")
    return redirect("automation:rule_list")
