"""Conditions on a rule. (Foundation stub: helper C builds this module.)"""


def clean(trigger: str, conditions: list) -> list:
    return list(conditions)
