"""Extra panels on the client page, registered by higher apps (records imports none of them).

An app registers a panel at start-up (its ``AppConfig.ready``): a template and
a function giving its context for the person looking at a client, or None
when the panel has nothing to show them. Panels stand at the top of the page's
side column, in their ``order``. Like workspace/home.py's cards.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.template.loader import render_to_string


@dataclass(frozen=True)
class _Panel:
    template: str
    context: Callable[..., dict | None]
    order: int


_panels: list[_Panel] = []


def register(*, template: str, context: Callable[..., dict | None], order: int) -> None:
    """Show ``template`` on the client page with ``context(user, client)`` (skipped when None)."""
    _panels.append(_Panel(template, context, order))
    _panels.sort(key=lambda panel: panel.order)


def panels(request, client) -> list[str]:
    """The panels drawn for the person signed in, in order."""
    drawn = []
    for panel in _panels:
        context = panel.context(request.user, client)
        if context is not None:
            drawn.append(render_to_string(panel.template, context, request=request))
    return drawn
