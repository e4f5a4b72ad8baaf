import zoneinfo

from django import template
from django.utils import timezone

register = template.Library()


@register.inclusion_tag("accounts/_avatar.html")
def avatar(person, size="md"):
    """A round picture, or the person's initials on a stable colour."""
    return {"person": person, "size": size}


@register.filter
def local_time(person) -> str:
    """The time it is now where the person is, e.g. "14:05".

    A string, not a datetime: the template engine would convert a datetime
    back to the viewer's time zone.
    """
    return timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(person.timezone)).strftime("%H:%M")
