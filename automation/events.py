"""The live topics automation publishes (DESIGN §4).

* ``automation.<rule id>``: a rule's page — its run log rows (``run-<id>``) as they are
  added and updated, and its on/off state;
* ``automations.all``: the rules list (on/off, last run), for everyone signed in.
"""

from automation import policies
from workspace import live

live.register_topic("automation", policies.can_follow_rule)
live.register_topic("automations", policies.can_follow_rules)

RULES_TOPIC = "automations.all"


def rule_topic(rule_id: int) -> str:
    return f"automation.{rule_id}"
