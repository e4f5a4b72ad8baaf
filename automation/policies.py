"""Who may see and manage automation rules.

* Everyone signed in may see the rules list and a rule's run log: what the machine does
  to shared records is no secret among staff, and it explains surprising changes.
* Admins manage every rule, workspace-wide ones included.
* Managers manage the rules of the departments they belong to.
* A rule acts with its owner's permissions (automation/engine.py): owning a rule gives
  it no rights its owner lacks.
"""

from django.http import Http404

from automation.models import Rule
from records.policies import can_view, manages_department


def can_view_rules(user) -> bool:
    return can_view(user)


def can_create_rules(user) -> bool:
    return user.is_active and (user.is_admin or user.is_manager)


def can_manage_rule(user, rule: Rule) -> bool:
    """Edit, switch on or off, reorder, delete, dry-run."""
    return can_manage_in(user, rule.department_id)


def can_manage_in(user, department_id: int | None) -> bool:
    """Whether ``user`` may own or edit a rule of this department (None: workspace-wide)."""
    if not user.is_active:
        return False
    if user.is_admin:
        return True
    return department_id is not None and manages_department(user, department_id)


def access_rule(user, pk) -> Rule:
    """The rule ``pk`` for someone who may see it, or one not-found error."""
    if not can_view_rules(user):
        raise Http404("No such rule.")
    rule = Rule.objects.select_related("department", "owner").filter(pk=pk).first()
    if rule is None:
        raise Http404("No such rule.")
    return rule


def can_follow_rule(user, key: str) -> bool:
    """Live topic ``automation.<rule id>``: the rule's page and run log."""
    return key.isdigit() and can_view_rules(user) and Rule.objects.filter(pk=int(key)).exists()


def can_follow_rules(user, key: str) -> bool:
    """Live topic ``automations.all``: the rules list (last run, on/off)."""
    return key == "all" and can_view_rules(user)
