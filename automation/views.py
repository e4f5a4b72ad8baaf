"""Automation's pages. (Foundation stub: helper D builds the rule builder and run log.)"""

from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse

from automation import policies
from automation.models import Rule


@login_required
def rule_list(request):
    if not policies.can_view_rules(request.user):
        return TemplateResponse(request, "403.html", status=403)
    rules = Rule.objects.select_related("department", "owner")
    return TemplateResponse(request, "automation/rule_list.html", {"rules": rules})


@login_required
def rule_detail(request, pk):
    rule = policies.access_rule(request.user, pk)
    runs = rule.runs.all()[:50]
    return TemplateResponse(request, "automation/rule_detail.html", {"rule": rule, "runs": runs})
