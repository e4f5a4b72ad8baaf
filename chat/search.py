"""Message search: in one room or across every room the person may read.

Visibility is ``chat.policies.can_view_room`` written as one query
(``Room.objects.visible_to``): client rooms and public group rooms, the rooms
of the person's departments, and the private rooms and direct messages they
are a member of -- never a room they left, never an archived room. Deleted
messages never match (their text is gone anyway).

Matching is records' global search applied to message text
(records/selectors/search.py): on PostgreSQL a prefix ``to_tsquery`` against
``to_tsvector('simple', body)``, backed by the GIN expression index of
migration ``chat/0002_message_search`` (the expression there must stay the one
below); elsewhere every word ``icontains``. The ``simple`` configuration (no
stemming, no stop words) because a team writes in several languages and
searches for names; the prefix match finds "meetings" from "meeting".
Results are newest first (no ranking: the newest mention is usually the one
sought), so the index finds rows and one sort orders them.

Snippets are cut from the message's plain text around the first match and
returned as (text, matched) parts: the template escapes each part and marks
the matches, so no user text is ever marked safe.
"""

import html
import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.html import strip_tags

from chat.events import message_link
from chat.models import Membership, Message, Room
from records.selectors.search import CONFIG, prefix_tsquery, uses_full_text
from workspace.search import MAX_QUERY_LENGTH, Group, search_words

PER_PAGE = 20
HIT_TEMPLATE = "chat/search.html#global-hit"
SNIPPET_LENGTH = 180
SNIPPET_LEAD = 60  # characters kept before the first match


def message_vector() -> SearchVector:
    """The searched expression; migration chat/0002 indexes exactly this."""
    return SearchVector("body", config=CONFIG)


def clean_query(text) -> str:
    return " ".join(str(text or "").split())[:MAX_QUERY_LENGTH]


def matching_messages(user, query: str, *, room: Room | None = None) -> QuerySet:
    """Live messages matching every word of ``query`` in rooms ``user`` may read, newest first.

    ``room`` narrows to one room; the caller got it through ``access_room``.
    Nothing for a query without a searchable word.
    """
    words = search_words(query)
    if not words:
        return Message.objects.none()
    messages = Message.objects.live().filter(room__in=Room.objects.visible_to(user).values("pk"))
    if room is not None:
        messages = messages.filter(room=room)
    if uses_full_text():
        tsquery = SearchQuery(prefix_tsquery(words), search_type="raw", config=CONFIG)
        messages = messages.annotate(search=message_vector()).filter(search=tsquery)
    else:
        for word in words:
            messages = messages.filter(body__icontains=word)
    return messages.select_related("room__client", "room__department", "author").order_by(
        "-created_at", "-pk"
    )


@dataclass
class Hit:
    """One found message as a result row shows it."""

    message: Message
    room_title: str
    snippet: list[tuple[str, bool]]  # (text, is a match), to be escaped by the template

    @property
    def link(self) -> str:
        return message_link(self.message)


def snippet(text: str, words: list[str]) -> list[tuple[str, bool]]:
    """A window of ``text`` around the first match, split into (text, matched) parts."""
    text = " ".join(text.split())
    pattern = re.compile("|".join(re.escape(word) for word in words) or "$^", re.IGNORECASE)
    first = pattern.search(text)
    start = max(0, first.start() - SNIPPET_LEAD) if first else 0
    window = text[start : start + SNIPPET_LENGTH]
    parts, position = [], 0
    for match in pattern.finditer(window):
        parts += [(window[position : match.start()], False), (match.group(), True)]
        position = match.end()
    parts.append((window[position:], False))
    if start:
        parts.insert(0, ("…", False))
    if start + SNIPPET_LENGTH < len(text):
        parts.append(("…", False))
    return [part for part in parts if part[0]]


def plain_text(message: Message) -> str:
    """What the message says, without its Markdown (from the sanitized html)."""
    return html.unescape(strip_tags(message.body_html or message.body))


def _titles(messages: list[Message], viewer) -> dict[int, str]:
    """Each room's name for ``viewer``; direct messages are named after the others (one query)."""
    direct = {m.room_id for m in messages if m.room.kind == Room.Kind.DIRECT}
    others: dict[int, list[str]] = {}
    if direct:
        people = (
            Membership.objects.filter(room_id__in=direct, is_member=True)
            .exclude(user=viewer)
            .select_related("user")
            .order_by("user__full_name")
        )
        for membership in people:
            person = membership.user
            others.setdefault(membership.room_id, []).append(person.full_name or person.email)
    return {
        m.room_id: ", ".join(others.get(m.room_id, ["Just you"]))
        if m.room_id in direct
        else str(m.room)
        for m in messages
    }


def hits(messages, viewer, query: str) -> list[Hit]:
    """Result rows for ``messages`` (already fetched or sliced): at most two queries."""
    messages = list(messages)
    titles = _titles(messages, viewer)
    words = search_words(query)
    return [Hit(m, titles[m.room_id], snippet(plain_text(m), words)) for m in messages]


def search_page(viewer, query: str, *, room: Room | None = None, page=None):
    """One page of results (a Paginator page whose ``object_list`` is hits)."""
    paginator = Paginator(matching_messages(viewer, query, room=room), PER_PAGE)
    found = paginator.get_page(page)
    found.object_list = hits(found.object_list, viewer, query)
    return found


def first_hits(viewer, query: str, limit: int) -> tuple[list[Hit], bool]:
    """The newest ``limit`` results and whether there are more."""
    rows = list(matching_messages(viewer, query)[: limit + 1])
    return hits(rows[:limit], viewer, query), len(rows) > limit


def messages_group(viewer, query: str, limit: int) -> list[Group]:
    """The global search's group (workspace/search.py): the newest messages in the rooms
    ``viewer`` may read (never others' private rooms or direct messages)."""
    found, has_more = first_hits(viewer, query, limit)
    return [
        Group("messages", "Messages", "chat-dots", "chat:search", found, has_more, HIT_TEMPLATE)
    ]
