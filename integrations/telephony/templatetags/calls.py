"""``{{ seconds|call_duration }}``: a call's length as people read it, "3 min 12 s"."""

from django import template

register = template.Library()


@register.filter
def call_duration(seconds) -> str:
    """``192`` → ``"3 min 12 s"``; "" when unknown."""
    if seconds is None or seconds == "":
        return ""
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
