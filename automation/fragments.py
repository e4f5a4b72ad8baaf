"""The fragments automation's live events carry, rendered once for every viewer — a rule's
row (the list, and the on/off state on its page) and a run's row (the rule's run log, and
the "last run" of the rule's row) — and a rule put in words.

A run row is sent wrapped for ``afterbegin:#run-rows-<rule id>`` (live.js inserts a new
run at the top of the log, or replaces the row of that id already shown); only the first
page of a run log carries that id, so later pages do not grow.
"""

from dataclasses import dataclass

from django.db.models import F
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from accounts.models import Department, User
from automation import actions, conditions, triggers
from automation.models import Rule, RuleRun
from integrations.mail.models import Snippet
from integrations.webhooks.models import Endpoint

_SUBJECT_PAGES = {
    "client": "records:client_detail",
    "deal": "records:deal_detail",
    "ticket": "records:ticket_detail",
    "task": "records:task_detail",
    "handoff": "records:handoff_detail",
}


def rule_row_html(rule: Rule) -> str:
    _attach_last_run(rule)
    return render_to_string("automation/rule_list.html#rule-live", {"rule": rule, "oob": True})


def rule_removed_html(rule: Rule) -> str:
    return (
        f'<li id="rule-{rule.pk}" hx-swap-oob="delete"></li>'
        f'<div id="rule-{rule.pk}-state" hx-swap-oob="true" class="alert alert-secondary">'
        "This rule was deleted.</div>"
    )


def run_row_html(run: RuleRun) -> str:
    return render_to_string("automation/rule_detail.html#run-live", {"run": run, "oob": True})


def subject_url(run: RuleRun) -> str:
    """The page of what the run was about ("" for none: a schedule, a contact)."""
    name = _SUBJECT_PAGES.get(run.subject_type)
    if not name or run.subject_id is None:
        return ""
    try:
        return reverse(name, args=[run.subject_id])
    except NoReverseMatch:
        return ""


def _attach_last_run(rule: Rule) -> None:
    if not hasattr(rule, "last_run_status"):
        last = rule.runs.only("status", "created_at").first()
        rule.last_run_status = last.status if last else None
        rule.last_run_at = last.created_at if last else None


@dataclass
class InWords:
    when: str
    options: list[str]
    match: str
    conditions: list[str]
    actions: list[str]


def in_words(rule: Rule) -> InWords:
    """ "When a deal is won, if …, then …", in the words of the form."""
    trigger = triggers.CATALOG.get(rule.trigger)
    return InWords(
        when=_lower_first(trigger.label) if trigger else f"“{rule.trigger}” (no longer offered)",
        options=_options_in_words(trigger, rule.trigger_options) if trigger else [],
        match="all" if rule.match == Rule.Match.ALL else "any",
        conditions=_conditions_in_words(rule),
        actions=[_action_in_words(action) for action in rule.actions],
    )


def trigger_label(rule: Rule) -> str:
    trigger = triggers.CATALOG.get(rule.trigger)
    return trigger.label if trigger else rule.trigger


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _options_in_words(trigger, options: dict) -> list[str]:
    words = []
    for option in triggers.option_fields(trigger.key):
        value = options.get(option.name)
        if value in (None, "", []):
            continue
        labels = dict(option.choices)
        values = value if isinstance(value, list) else [value]
        shown = ", ".join(str(labels.get(str(each), labels.get(each, each))) for each in values)
        words.append(f"{option.label}: {shown}")
    return words


def _conditions_in_words(rule: Rule) -> list[str]:
    return [conditions.in_words(rule.trigger, condition) for condition in rule.conditions]


def _action_in_words(action: dict) -> str:
    """ "Notify people — Notify: Named people · People: Ana Ruiz · Text: “…”"."""
    found = actions.CATALOG.get(action.get("type"))
    if found is None:
        return f"“{action.get('type')}” (no longer offered)"
    details = [
        f"{param.label}: {_setting_in_words(param, action[param.name])}"
        for param in found.params
        if _shown(param, action) and action.get(param.name) not in (None, "", [], 0)
    ]
    return " — ".join([found.label, " · ".join(details)]) if details else found.label


def _shown(param, action: dict) -> bool:
    if param.shown_when is None:
        return True
    other, values = param.shown_when
    return action.get(other) in values


def _setting_in_words(param, value) -> str:
    names = _NAMES.get(param.kind)
    if param.kind == "choice":
        return str(dict(param.choices).get(value, value))
    if names is not None:
        ids = value if isinstance(value, list) else [value]
        found = dict(names().filter(pk__in=ids).values_list("pk", "name"))
        return ", ".join(found.get(each, f"#{each} (gone)") for each in ids)
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return f"“{value}”" if param.kind == "text" else str(value)


def _people():
    return User.objects.annotate(name=F("full_name"))


def _departments():
    return Department.objects.all()


def _snippets():
    return Snippet.objects.all()


def _endpoints():
    return Endpoint.objects.annotate(name=F("url"))


_NAMES = {
    "person": _people,
    "people": _people,
    "department": _departments,
    "snippet": _snippets,
    "endpoint": _endpoints,
}
