"""The fragments automation's live events carry, rendered once for every viewer:
a rule's row (the list) and a run's row (the rule's run log)."""

from django.template.loader import render_to_string

from automation.models import Rule, RuleRun


def rule_row_html(rule: Rule) -> str:
    return render_to_string("automation/rule_list.html#rule-row", {"rule": rule, "oob": True})


def rule_removed_html(rule: Rule) -> str:
    return f'<tr id="rule-{rule.pk}" hx-swap-oob="delete"></tr>'


def run_row_html(run: RuleRun) -> str:
    return render_to_string("automation/rule_detail.html#run-row", {"run": run, "oob": True})
