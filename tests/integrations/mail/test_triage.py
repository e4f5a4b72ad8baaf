"""The triage list: who sees what, attaching, creating a contact, dismissing; live."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.mail import events
from integrations.mail.models import EmailMessage, EmailThread, InboundAddress
from integrations.mail.services.incoming import receive
from records.models import Contact, TimelineEntry
from records.services.clients import create_client
from tests.integrations.mail.messages import acme, build, raw
from tests.live_helpers import capture_events
from workspace.live import can_subscribe

__all__ = ["acme"]
HTMX = {"HTTP_HX_REQUEST": "true"}


def stranger_mail(n=1, **kwargs) -> EmailMessage:
    kwargs.setdefault("sender", f"Sam Stranger <sam{n}@nowhere.example>")
    kwargs.setdefault("subject", f"Question {n}")
    with capture_events():
        return receive(raw(build(**kwargs)), recipients=[kwargs.get("to", "bcc@x")]).message


@pytest.fixture
def waiting(db):
    return stranger_mail()


def test_the_list_shows_waiting_threads_newest_first(client, sales_manager, waiting):
    newer = stranger_mail(2)
    client.force_login(sales_manager)
    page = client.get("/mail/triage/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("Question 2") < html.index("Question 1")
    assert f'id="triage-thread-{newer.thread_id}"' in html
    assert "sam1@nowhere.example" in html
    assert "mailtriage.all" in html


def test_the_list_costs_the_same_queries_for_many_rows(client, sales_manager, waiting):
    client.force_login(sales_manager)
    with CaptureQueriesContext(connection) as one:
        client.get("/mail/triage/")
    for n in range(2, 12):
        stranger_mail(n)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/mail/triage/").content.decode().count("triage-row card") == 11
    assert len(many) == len(one)


def test_a_member_sees_their_departments_and_their_own_forwards_only(
    client, member, sales, waiting
):
    InboundAddress.objects.create(address="sales@in.workspace.localhost", department=sales)
    to_sales = stranger_mail(2, to="sales@in.workspace.localhost")
    forwarded = stranger_mail(3, sender=member.email, to="someone@nowhere.example")
    client.force_login(member)
    html = client.get("/mail/triage/").content.decode()
    assert f"triage-thread-{to_sales.thread_id}" in html
    assert f"triage-thread-{forwarded.thread_id}" in html
    assert f"triage-thread-{waiting.thread_id}" not in html
    assert client.post(f"/mail/triage/{waiting.thread_id}/dismiss/").status_code == 404


def test_anonymous_people_are_sent_to_log_in(client, waiting):
    response = client.get("/mail/triage/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_attach_moves_the_thread_to_the_client_and_its_timeline(
    client, sales_manager, acme, waiting
):
    client.force_login(sales_manager)
    with capture_events() as published:
        response = client.post(
            f"/mail/triage/{waiting.thread_id}/attach/", {"client": acme.pk}, **HTMX
        )
    assert response.status_code == 200
    assert (
        f'id="triage-thread-{waiting.thread_id}" hx-swap-oob="delete"' in response.content.decode()
    )
    waiting.refresh_from_db()
    assert (waiting.client, waiting.thread.client, waiting.triage) == (acme, acme, "")
    assert TimelineEntry.objects.filter(client=acme, kind="email").count() == 1
    kinds = {(event.topic, event.kind) for event in published}
    assert ("mailtriage.all", "mail.triage.attached") in kinds
    assert (f"client.{acme.pk}", "mail.received") in kinds
    again = client.post(f"/mail/triage/{waiting.thread_id}/attach/", {"client": acme.pk}, **HTMX)
    assert again.status_code == 404


def test_later_mail_in_an_attached_thread_follows_it(client, sales_manager, acme, waiting):
    client.force_login(sales_manager)
    with capture_events():
        client.post(f"/mail/triage/{waiting.thread_id}/attach/", {"client": acme.pk}, **HTMX)
    reply = stranger_mail(9, headers={"In-Reply-To": f"<{waiting.message_id}>"})
    assert (reply.thread_id, reply.client) == (waiting.thread_id, acme)


def test_attach_without_a_client_says_so_and_keeps_the_mail(client, sales_manager, waiting):
    client.force_login(sales_manager)
    response = client.post(f"/mail/triage/{waiting.thread_id}/attach/", {"client": "x"}, **HTMX)
    assert response.status_code == 422
    assert response.content.decode() == "Pick a client that is not archived or merged."
    waiting.refresh_from_db()
    assert waiting.triage == "waiting"


def test_create_contact_and_attach(client, member, sales_manager, acme, waiting):
    client.force_login(member)
    with capture_events():
        response = client.post(
            f"/mail/triage/{waiting.thread_id}/contact/",
            {"client": acme.pk, "name": "Sam Stranger"},
        )
    assert response.status_code == 404  # a member sees only their departments' triage
    client.force_login(sales_manager)
    with capture_events():
        response = client.post(
            f"/mail/triage/{waiting.thread_id}/contact/",
            {"client": acme.pk, "name": " Sam Stranger "},
            **HTMX,
        )
    assert response.status_code == 200
    contact = Contact.objects.get(client=acme)
    assert (contact.name, contact.emails) == ("Sam Stranger", ["sam1@nowhere.example"])
    waiting.refresh_from_db()
    assert (waiting.client, waiting.contact) == (acme, contact)


def test_create_contact_needs_a_name(client, sales_manager, acme, waiting):
    client.force_login(sales_manager)
    response = client.post(
        f"/mail/triage/{waiting.thread_id}/contact/", {"client": acme.pk, "name": ""}, **HTMX
    )
    assert response.status_code == 422
    assert not Contact.objects.exists()
    waiting.refresh_from_db()
    assert waiting.triage == "waiting"


def test_dismiss(client, sales_manager, waiting):
    client.force_login(sales_manager)
    with capture_events() as published:
        response = client.post(f"/mail/triage/{waiting.thread_id}/dismiss/")
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.triage == "dismissed"
    assert [event.kind for event in published] == ["mail.triage.dismissed"]
    assert "Question 1" not in client.get("/mail/triage/").content.decode()


def test_client_search_for_attaching(client, sales_manager, acme, member, waiting):
    create_client(actor=member, name="Zeta Labs")
    client.force_login(sales_manager)
    html = client.get(f"/mail/triage/{waiting.thread_id}/clients/?q=acme", **HTMX).content.decode()
    assert "Acme Corp" in html and "Zeta" not in html
    assert f"/mail/triage/{waiting.thread_id}/attach/" in html
    page = client.get(f"/mail/triage/{waiting.thread_id}/clients/?q=zeta&mode=contact")
    assert 'type="radio" name="client"' in page.content.decode()


def test_new_triage_mail_arrives_live_on_open_lists(db):
    with capture_events() as published:
        message = receive(raw(build(sender="new@nowhere.example", subject="Fresh"))).message
    [event] = published
    assert (event.topic, event.kind) == ("mailtriage.all", "mail.triage.added")
    assert 'hx-swap-oob="afterbegin:#triage-rows"' in event.html
    assert f'id="triage-thread-{message.thread_id}"' in event.html
    assert "Fresh" in event.html


def test_who_may_follow_which_triage_topic(member, sales, sales_manager, support_member):
    assert can_subscribe(sales_manager, "mailtriage.all")
    assert not can_subscribe(member, "mailtriage.all")
    assert can_subscribe(member, f"mailtriage.{sales.pk}")
    assert not can_subscribe(support_member, f"mailtriage.{sales.pk}")
    assert can_subscribe(member, f"mailtriage.p{member.pk}")
    assert not can_subscribe(member, f"mailtriage.p{support_member.pk}")
    assert events.triage_topics_for(member) == [
        f"mailtriage.{sales.pk}",
        f"mailtriage.p{member.pk}",
    ]


def test_private_triage_threads_are_their_owners(client, sales_manager, member, waiting):
    EmailThread.objects.filter(pk=waiting.thread_id).update(private_to=member)
    client.force_login(sales_manager)
    assert f"triage-thread-{waiting.thread_id}" not in client.get("/mail/triage/").content.decode()
