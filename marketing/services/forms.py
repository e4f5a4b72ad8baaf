"""Web-to-lead forms: building them (marketing only). Taking their submissions is
marketing/services/submissions.py."""

import re
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_countries import countries

from accounts.models import Department, User
from marketing import policies
from marketing.models import (
    RoutingRule,
    WebForm,
)
from marketing.web_forms import (
    EMAIL,
    LABEL_MAX_LENGTH,
    targets,
)

FORM_OPTIONS = {
    "title",
    "intro",
    "consent_text",
    "consent_required",
    "submit_label",
    "thank_you_message",
    "redirect_url",
    "allowed_origins",
    "active",
}
FIELDS_MAX = 30
RULES_MAX = 30
ORIGINS_MAX = 20
ORIGIN_RE = re.compile(r"^https://[a-z0-9.-]+(:[0-9]{1,5})?$")


# --- Building forms -----------------------------------------------------------------


def _require_manager(actor: User, message: str) -> None:
    if not policies.can_manage_marketing(actor):
        raise PermissionDenied(message)


def create_form(
    *,
    actor: User,
    name: str,
    department: Department,
    fallback_owner: User,
    fields,
    rules=(),
    **options,
) -> WebForm:
    """A new web form with its fields (``[{"maps_to", "label", "required"}]``, in order)
    and routing rules (``[{"kind", "value", "owner", "department"}]``, in order)."""
    _require_manager(actor, "Only marketing can build web forms.")
    form = WebForm(created_by=actor)
    return _save(
        form,
        name=name,
        department=department,
        fallback_owner=fallback_owner,
        fields=fields,
        rules=rules,
        **options,
    )


def update_form(
    *,
    actor: User,
    form: WebForm,
    name: str,
    department: Department,
    fallback_owner: User,
    fields,
    rules,
    **options,
) -> WebForm:
    """Replace a form's settings, fields and rules. A rule given with its ``id`` is kept
    (submissions routed by it still name it); rules left out are removed."""
    _require_manager(actor, "Only marketing can change web forms.")
    with transaction.atomic():
        form = WebForm.objects.select_for_update().get(pk=form.pk)
        return _save(
            form,
            name=name,
            department=department,
            fallback_owner=fallback_owner,
            fields=fields,
            rules=rules,
            **options,
        )


def _save(form: WebForm, *, name, department, fallback_owner, fields, rules, **options) -> WebForm:
    unknown = set(options) - FORM_OPTIONS
    if unknown:
        raise ValidationError(f"Unknown form settings: {', '.join(sorted(unknown))}.")
    if fallback_owner is None or not fallback_owner.is_active:
        raise ValidationError({"fallback_owner": "Pick an active member of staff."})
    form.name = " ".join((name or "").split())
    form.department = department
    form.fallback_owner = fallback_owner
    for option, value in options.items():
        setattr(form, option, value.strip() if isinstance(value, str) else value)
    form.allowed_origins = "\n".join(parse_origins(form.allowed_origins))
    form.fields = clean_fields(fields)
    if form.consent_required and not form.consent_text:
        raise ValidationError({"consent_text": "Write what a person agrees to by ticking the box."})
    form.updated_at = timezone.now()
    form.full_clean()
    with transaction.atomic():
        form.save()
        _save_rules(form, rules)
    return form


def parse_origins(text: str) -> list[str]:
    """The allowed embedding origins, one per line: ``https://www.example.com`` (a port
    allowed; no path, no wildcard), lowercased, without duplicates."""
    origins: list[str] = []
    for line in (text or "").splitlines():
        origin = line.strip().lower().removesuffix("/")
        if not origin:
            continue
        parts = urlsplit(origin)
        if not ORIGIN_RE.match(origin) or not parts.hostname or "." not in parts.hostname:
            raise ValidationError(
                {
                    "allowed_origins": f"“{line.strip()[:100]}” is not an https origin. Write one "
                    "per line like https://www.example.com (no path)."
                }
            )
        if origin not in origins:
            origins.append(origin)
    if len(origins) > ORIGINS_MAX:
        raise ValidationError({"allowed_origins": f"List at most {ORIGINS_MAX} origins."})
    return origins


def clean_fields(fields) -> list[dict]:
    """A form's field list checked: known targets, each once, labels, and a required email."""
    available = targets()
    cleaned: list[dict] = []
    for spec in fields or ():
        target = available.get(spec.get("maps_to"))
        if target is None:
            raise ValidationError(
                {"fields": f"“{spec.get('maps_to')}” is not a field a form can ask for."}
            )
        if any(row["maps_to"] == target.maps_to for row in cleaned):
            raise ValidationError({"fields": f"{target.label} is on the form twice; keep one."})
        label = " ".join(str(spec.get("label") or target.label).split())
        if len(label) > LABEL_MAX_LENGTH:
            raise ValidationError({"fields": f"Keep labels under {LABEL_MAX_LENGTH} characters."})
        cleaned.append(
            {"maps_to": target.maps_to, "label": label, "required": bool(spec.get("required"))}
        )
    if len(cleaned) > FIELDS_MAX:
        raise ValidationError({"fields": f"A form has at most {FIELDS_MAX} fields."})
    if not any(row["maps_to"] == EMAIL and row["required"] for row in cleaned):
        raise ValidationError(
            {"fields": "Add a required email field: it is how a lead is matched and answered."}
        )
    return cleaned


def _save_rules(form: WebForm, rules) -> None:
    rules = list(rules or ())
    if len(rules) > RULES_MAX:
        raise ValidationError({"rules": f"A form has at most {RULES_MAX} routing rules."})
    existing = {rule.pk: rule for rule in form.rules.all()} if form.pk else {}
    kept = []
    for position, spec in enumerate(rules):
        rule = existing.get(_int(spec.get("id"))) or RoutingRule(form=form)
        rule.position = position
        rule.kind = spec.get("kind") or ""
        rule.value = " ".join(str(spec.get("value") or "").split())
        rule.owner = spec.get("owner") or None
        rule.department = spec.get("department") or None
        _check_rule(rule)
        rule.save()
        kept.append(rule.pk)
    form.rules.exclude(pk__in=kept).delete()


def _check_rule(rule: RoutingRule) -> None:
    if rule.kind == RoutingRule.Kind.COUNTRY:
        rule.value = rule.value.upper()
        if rule.value and rule.value not in countries:
            raise ValidationError(
                {"rules": f"“{rule.value}” is not a country code (like DE or US)."}
            )
    if rule.kind not in (RoutingRule.Kind.COUNTRY, RoutingRule.Kind.INDUSTRY):
        rule.value, rule.owner = "", None
    if rule.kind != RoutingRule.Kind.ROUND_ROBIN:
        rule.department = None
    if rule.owner is not None and not rule.owner.is_active:
        raise ValidationError({"rules": f"{rule.owner} is no longer active; pick someone else."})
    try:
        rule.full_clean(exclude=["form"])
    except ValidationError as error:
        raise ValidationError({"rules": error.messages}) from None


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
