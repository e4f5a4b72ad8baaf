"""Accounts' part of the global search (workspace/search.py): people, by name, email or title."""

from accounts.selectors import people_matching
from workspace.search import Group, search_words


def people_group(viewer, query: str, limit: int) -> list[Group]:
    """Active people matching every word of ``query`` (a small table: no index needed)."""
    people = list(people_matching(" ".join(search_words(query))).order_by("full_name")[: limit + 1])
    return [
        Group(
            "people",
            "People",
            "people",
            "team",
            people[:limit],
            len(people) > limit,
            "accounts/search_hits.html#person",
        )
    ]
