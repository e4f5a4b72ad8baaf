"""A rule's actions. (Foundation stub: helper B builds this package.)"""


def clean(trigger: str, actions: list, *, owner) -> list:
    return list(actions)
