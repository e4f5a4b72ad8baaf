from django import template

from workspace.live.models import Event

register = template.Library()


@register.simple_tag
def live_since() -> int:
    """The event log's end as the page is rendered: where the tab's replay starts.

    Events committed between rendering and the socket's subscription are
    replayed from here, so a page never misses what happened while it loaded.
    """
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
