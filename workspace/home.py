"""The home page's cards, each registered by the app that owns it (workspace knows none).

An app registers a card at start-up (its ``AppConfig.ready``): a template and
a function giving its context for the person looking, or None when the card
has nothing to show them. Cards stand in the page's main column or its side
column, in their ``order``.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.template.loader import render_to_string

MAIN, SIDE = "main", "side"


@dataclass(frozen=True)
class _Card:
    template: str
    context: Callable[..., dict | None]
    column: str
    order: int


_cards: list[_Card] = []


def register(*, template: str, context: Callable[..., dict | None], column: str, order: int):
    """Show ``template`` on the home page with ``context(user)`` (skipped when it is None)."""
    if column not in (MAIN, SIDE):
        raise ValueError(f"A home card stands in {MAIN!r} or {SIDE!r}, not {column!r}.")
    _cards.append(_Card(template, context, column, order))
    _cards.sort(key=lambda card: card.order)


def cards(request, column: str) -> list[str]:
    """The cards of ``column`` drawn for the person signed in, in order."""
    drawn = []
    for card in _cards:
        if card.column != column:
            continue
        context = card.context(request.user)
        if context is not None:
            drawn.append(render_to_string(card.template, context, request=request))
    return drawn
