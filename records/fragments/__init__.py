"""The HTML sent with records' live events: rendered once, the same for every viewer (DESIGN §4).

A service publishes ``(topics, kind, payload)`` through ``records.events``,
which asks :func:`render` for the event's fragment. Each page registers, in a
module of this package, the renderers of the parts it shows (a list row, a
kanban card, a field, a timeline entry)::

    @renders("deal.moved", "deal.won")
    def kanban_card(kind, payload):
        return fragment("records/board.html#card-oob", {"deal": ...})

Every renderer returns elements carrying ``hx-swap-oob`` (or ""), and a tab
applies those whose target it shows. Renderers run inside the service's
transaction, without a request, in UTC (browsers localize ``<time>``), and
must not depend on who is looking: own-item controls use ``data-author``.
"""

import importlib
import pkgutil
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC

from django.template.loader import render_to_string
from django.utils import timezone

Renderer = Callable[[str, dict], str]

EVERY_KIND = "*"
_renderers: dict[str, list[Renderer]] = defaultdict(list)


def renders(*kinds: str):
    """Register the decorated ``renderer(kind, payload) -> str`` for ``kinds`` (or EVERY_KIND)."""

    def register(renderer: Renderer) -> Renderer:
        for kind in kinds:
            if renderer not in _renderers[kind]:
                _renderers[kind].append(renderer)
        return renderer

    return register


def render(kind: str, payload: dict) -> str | None:
    """The fragment of one event: what every renderer of ``kind`` (and of every kind) adds."""
    renderers = [*_renderers.get(kind, ()), *_renderers.get(EVERY_KIND, ())]
    with timezone.override(UTC):
        html = "".join(renderer(kind, payload) or "" for renderer in renderers)
    return html or None


def fragment(template_name: str, context: dict) -> str:
    """A template (or ``template#partial``) rendered without a request."""
    return render_to_string(template_name, context)


def load() -> None:
    """Import every renderer module of this package (called once, when records is ready)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
