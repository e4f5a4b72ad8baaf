# ruff: noqa: F811 (the fixtures imported from thread_helpers)
"""Emails in the global search: by subject, sender and text; a private thread's mail
only for its person and admins."""

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.urls import reverse

from accounts.models import Role
from integrations.mail.models import EmailMessage
from integrations.mail.search import emails_group, message_vector
from integrations.mail.services.privacy import set_private
from records.selectors.search import CONFIG, prefix_tsquery
from tests.factories import UserFactory
from tests.integrations.mail.thread_helpers import (  # noqa: F401 (fixtures)
    acme,
    add_message,
    make_thread,
)
from workspace.search import search_everything

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(sales):
    return UserFactory(role=Role.MEMBER, departments=[sales])


@pytest.fixture
def offer(acme, member):
    thread = make_thread(acme, subject="Quarterly pricing proposal", created_by=member)
    add_message(thread, direction="out", sender=member, body_text="The discount is fifteen percent")
    add_message(thread, from_name="Ana Ruiz", body_text="Thanks, we accept the terms.")
    return thread


def found(viewer, query) -> list[str]:
    (group,) = emails_group(viewer, query, 8)
    return [hit.message.body_text for hit in group.items]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("pricing", 2),  # the subject
        ("discount fifteen", 1),  # the text, every word
        ("ana", 1),  # the sender's name
        ("acme.example", 1),  # the sender's address
        ("quarter", 2),  # a word still being typed
        ("nothing-like-it", 0),
    ],
)
def test_mail_is_found_by_subject_sender_and_text(member, offer, query, expected):
    assert len(found(member, query)) == expected


def test_a_private_thread_is_found_by_its_person_and_admins_only(member, colleague, admin, offer):
    assert len(found(colleague, "pricing")) == 2
    set_private(actor=member, thread=offer, private=True)
    assert len(found(member, "pricing")) == 2
    assert len(found(admin, "pricing")) == 2
    assert found(colleague, "pricing") == []
    assert not any(
        group.name == "emails" and group.items for group in search_everything(colleague, "pricing")
    )


def test_mail_waiting_in_triage_is_not_in_the_global_search(admin, offer):
    offer.client = None
    offer.save()
    assert found(admin, "pricing") == []


def test_the_search_page_links_a_hit_to_its_thread(client, member, offer):
    client.force_login(member)
    response = client.get(reverse("search"), {"q": "discount"})
    html = response.content.decode()
    message = offer.messages.get(body_text__contains="discount")
    assert response.status_code == 200
    assert f"{reverse('mail:thread', args=[offer.pk])}#mail-message-{message.pk}" in html
    assert "Quarterly pricing proposal" in html


def test_more_results_than_the_limit_say_so(member, acme):
    thread = make_thread(acme, subject="Weekly status")
    for _ in range(3):
        add_message(thread)
    (group,) = emails_group(member, "weekly", 2)
    assert len(group.items) == 2 and group.has_more


@pytest.mark.backend
def test_postgresql_searches_the_indexed_expression(offer):
    """The search's vector is the indexed one (else the planner could not use the index)."""
    if connection.vendor != "postgresql":
        pytest.skip("The full-text index exists on PostgreSQL only.")
    query = SearchQuery(prefix_tsquery(["pricing"]), search_type="raw", config=CONFIG)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = EmailMessage.objects.annotate(v=message_vector()).filter(v=query).explain()
    assert "Bitmap Index Scan on mailmessage_search" in plan, plan
