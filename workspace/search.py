"""The global search (the top bar and the search page), made of the groups apps register.

Each app registers a finder at start-up (its ``AppConfig.ready``):
``find(viewer, query, limit)`` returns its groups of at most ``limit`` items
each, for ``query`` already trimmed (spaces collapsed, at most
MAX_QUERY_LENGTH) and holding something to search for. Groups are shown in
their finders' ``order`` (records' kinds, people, messages, events), each item
drawn by its group's ``hit_template``. workspace knows none of them by name.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
MAX_WORD_LENGTH = 60
PER_GROUP = 8  # on the search page; the top bar's menu shows fewer
WORD = re.compile(r"[^\W_]+(?:[.-][^\W_]+)*")


@dataclass
class Group:
    """One kind of result: up to the limit's items, and whether there are more."""

    name: str  # the element id's suffix on the page (search-<name>)
    label: str
    icon: str  # a Bootstrap icon name
    list_url_name: str  # the page listing all of them, which takes ?q= ("": none)
    items: list
    has_more: bool
    hit_template: str  # the partial drawing one item (``item``)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class _Finder:
    order: int
    find: Callable[..., list[Group]]


_finders: list[_Finder] = []


def register(find: Callable[..., list[Group]], *, order: int) -> None:
    """Add ``find(viewer, query, limit) -> [Group, …]`` to the search, at ``order``."""
    _finders.append(_Finder(order, find))
    _finders.sort(key=lambda finder: finder.order)


def clean_query(text: str) -> str:
    """The query as searched: spaces collapsed, at most MAX_QUERY_LENGTH characters."""
    return " ".join((text or "").split())[:MAX_QUERY_LENGTH]


def search_words(query: str) -> list[str]:
    """The words of ``query`` worth searching for (lowercase; punctuation dropped)."""
    words = WORD.findall((query or "")[:MAX_QUERY_LENGTH].lower())
    return [word[:MAX_WORD_LENGTH] for word in words][:MAX_WORDS]


def search_everything(viewer, query: str, *, limit: int = PER_GROUP) -> list[Group]:
    """Every registered group's results for ``query``; [] when it has nothing to search
    for (no letter or digit: "%", "_" or punctuation never match everything)."""
    query = clean_query(query)
    if not search_words(query):
        return []
    return [group for finder in _finders for group in finder.find(viewer, query, limit)]
