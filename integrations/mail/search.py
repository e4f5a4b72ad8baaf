"""Emails in the global search (workspace/search.py): subject, sender and text.

A person finds the mail of the threads they may see (integrations/mail/policies.py
``can_view_thread``), written as one query: mail matched to a client, in a thread
that is not private or is private to them; admins find every matched mail. Mail
waiting in triage is searched from the triage list, not here.

Matching is records' global search applied to mail (records/selectors/search.py):
on PostgreSQL a prefix ``to_tsquery`` against ``to_tsvector('simple', …)`` of the
searched columns, backed by the GIN expression index of migration
``mail/0002_e_search`` (the expression there must stay :func:`message_vector`);
elsewhere every word ``icontains`` one of the columns. Newest first.
"""

from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Q, QuerySet, TextField, Value
from django.db.models.functions import Replace
from django.urls import reverse

from integrations.mail.models import EmailMessage
from records.selectors.search import CONFIG, prefix_tsquery, uses_full_text
from workspace.search import Group, search_words

SEARCHED = ("subject", "from_name", "from_address", "body_text")
# The sender's address as its two halves ("ana acme.example"), as records does with
# contacts' emails: the full-text parser keeps an address whole, so its domain alone
# (or a company's name) would find nothing.
ADDRESS_HALVES = Replace("from_address", Value("@"), Value(" "), output_field=TextField())
HIT_TEMPLATE = "mail/thread_parts.html#search-hit"
SNIPPET_LENGTH = 140


def message_vector() -> SearchVector:
    """The searched expression; migration mail/0002_e_search indexes exactly this."""
    return SearchVector("subject", "from_name", ADDRESS_HALVES, "body_text", config=CONFIG)


def visible_messages(viewer) -> QuerySet:
    """Matched mail of the threads ``viewer`` may see (see the module's docstring)."""
    messages = EmailMessage.objects.filter(client__isnull=False, thread__client__isnull=False)
    if viewer.is_admin:
        return messages
    return messages.filter(Q(thread__private_to__isnull=True) | Q(thread__private_to=viewer.pk))


def matching_messages(viewer, query: str) -> QuerySet:
    """Mail ``viewer`` may see matching every word of ``query``, newest first."""
    words = search_words(query)
    if not words or not getattr(viewer, "is_active", False):
        return EmailMessage.objects.none()
    messages = visible_messages(viewer)
    if uses_full_text():
        tsquery = SearchQuery(prefix_tsquery(words), search_type="raw", config=CONFIG)
        messages = messages.annotate(search=message_vector()).filter(search=tsquery)
    else:
        for word in words:
            matches = Q()
            for column in SEARCHED:
                matches |= Q(**{f"{column}__icontains": word})
            messages = messages.filter(matches)
    return messages.select_related("client", "thread").order_by("-created_at", "-pk")


@dataclass
class Hit:
    message: EmailMessage

    @property
    def link(self) -> str:
        return (
            reverse("mail:thread", args=[self.message.thread_id])
            + f"#mail-message-{self.message.pk}"
        )

    @property
    def who(self) -> str:
        return self.message.from_name or self.message.from_address

    @property
    def snippet(self) -> str:
        text = " ".join((self.message.body_text or "").split())
        return text if len(text) <= SNIPPET_LENGTH else text[: SNIPPET_LENGTH - 1] + "…"


def emails_group(viewer, query: str, limit: int) -> list[Group]:
    """The global search's group: the newest ``limit`` matching emails (two queries at most)."""
    rows = list(matching_messages(viewer, query)[: limit + 1])
    hits = [Hit(message) for message in rows[:limit]]
    return [Group("emails", "Emails", "envelope", "", hits, len(rows) > limit, HIT_TEMPLATE)]
