"""What else a new task can be made from, registered by the apps above records.

The new-task form takes ``?<source>=<id>`` besides the record it links to; a
source registered under that name turns the id into a :class:`Prefill` (the
form's title and description, and what to show it was made from), or raises
Http404 (one answer for missing and forbidden). chat registers "message"
(a task made from a chat message); records never imports chat.
"""

from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import User


@dataclass(frozen=True)
class Prefill:
    title: str
    description: str
    origin: str  # what the task is made from, as the form says it ("a message by Ada")
    origin_url: str


_sources: dict[str, Callable[[User, str], Prefill]] = {}


def register(name: str, prefill: Callable[[User, str], Prefill]) -> None:
    """Make ``?<name>=<id>`` prefill the new-task form with ``prefill(viewer, id)``."""
    _sources[name] = prefill


def prefill_from(viewer: User, query) -> Prefill | None:
    """The prefill of the first registered source named in ``query`` (a QueryDict)."""
    for name, prefill in _sources.items():
        if query.get(name):
            return prefill(viewer, query[name])
    return None
