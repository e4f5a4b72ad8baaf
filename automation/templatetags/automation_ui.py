"""Rules and runs in words, for automation's templates."""

from django import template

from automation import fragments
from automation.models import RuleRun

register = template.Library()


@register.filter
def trigger_label(rule) -> str:
    """ "A deal is won" — the rule's trigger as the form names it."""
    return fragments.trigger_label(rule)


@register.filter
def in_words(rule) -> fragments.InWords:
    return fragments.in_words(rule)


@register.filter
def subject_url(run: RuleRun) -> str:
    return fragments.subject_url(run)


@register.filter
def status_icon(status: str) -> str:
    return STATUS_ICONS.get(status, "circle")


STATUS_ICONS = {
    RuleRun.Status.WAITING: "hourglass-split",
    RuleRun.Status.PENDING: "clock",
    RuleRun.Status.RUNNING: "arrow-repeat",
    RuleRun.Status.DONE: "check-circle-fill",
    RuleRun.Status.SKIPPED: "dash-circle",
    RuleRun.Status.FAILED: "x-octagon-fill",
    RuleRun.Status.STOPPED: "sign-stop-fill",
}


@register.filter
def status_label(status: str) -> str:
    return RuleRun.Status(status).label if status in RuleRun.Status.values else ""


@register.filter
def option_value(draft, option):
    """What a trigger option's input shows in the builder."""
    return draft.option_value(option)


@register.filter
def param_value(row, param):
    """What an action setting's input shows in the builder."""
    return row.value(param)
