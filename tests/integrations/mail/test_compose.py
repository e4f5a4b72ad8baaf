# ruff: noqa: F811 (the fixtures imported from sending_helpers)
"""The compose dialog and page (integrations/mail/views/compose.py): from the client, deal
and ticket pages and a thread's Reply; refusals keep what was typed; Retry."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from integrations.mail.models import EmailMessage, EmailThread, Snippet
from integrations.mail.services import outgoing
from tests.factories import UserFactory
from tests.integrations.mail.sending_helpers import (  # noqa: F401 (fixtures)
    HTMX,
    JO,
    KIM,
    acme,
    deal,
    inbound,
    jo,
    queued,
    ticket,
    upload,
)

pytestmark = pytest.mark.django_db
COMPOSE = reverse("mail:compose")


@pytest.fixture
def signed_in(client, member):
    client.force_login(member)
    return client


def post(client, query: str, data: dict, **extra):
    values = {"to": [JO], "cc": "", "subject": "Hello", "body": "Dear Jo"} | data
    return client.post(f"{COMPOSE}?{query}", values, **extra)


def test_the_client_page_opens_the_dialog_with_the_contacts(
    signed_in, acme, django_assert_max_num_queries
):
    page = signed_in.get(reverse("records:client_detail", args=[acme.pk]))
    assert f'hx-get="{COMPOSE}?client={acme.pk}"' in page.text
    Snippet.objects.create(name="Follow-up", body="Hi {{ contact.first_name }}")
    with django_assert_max_num_queries(6):
        dialog = signed_in.get(f"{COMPOSE}?client={acme.pk}", **HTMX)
    assert dialog.status_code == 200
    html = dialog.text
    assert 'id="compose-modal"' in html and "modal-fullscreen-sm-down" in html
    for address in (JO, "jo.lee@home.example", KIM):
        assert f'value="{address}"' in html
    assert "Follow-up (shared)" in html
    assert 'hx-encoding="multipart/form-data"' in html
    assert "checked" not in html  # two contacts: nobody is picked for the writer


def test_query_count_does_not_grow_with_contacts(
    signed_in, member, acme, django_assert_max_num_queries
):
    from records import services

    for n in range(15):
        services.create_contact(
            actor=member, client=acme, name=f"Person {n}", emails=[f"p{n}@acme.example"]
        )
    with django_assert_max_num_queries(6):
        dialog = signed_in.get(f"{COMPOSE}?client={acme.pk}", **HTMX)
    assert dialog.text.count('name="to"') == 18


def test_a_plain_request_gets_a_page(signed_in, acme):
    page = signed_in.get(f"{COMPOSE}?client={acme.pk}")
    assert page.status_code == 200
    assert "<html" in page.text and "compose-form" in page.text
    assert f'hx-post="{COMPOSE}' not in page.text  # a plain form: posts and redirects


def test_from_a_ticket_its_contact_and_subject_are_filled(support_member, client, ticket):
    client.force_login(support_member)
    html = client.get(f"{COMPOSE}?ticket={ticket.pk}", **HTMX).text
    assert f'value="{JO}" id="compose-to-1" checked' in html
    assert 'value="Cannot log in"' in html
    assert f"[Ticket #{ticket.pk}]" in html
    page = client.get(reverse("records:ticket_detail", args=[ticket.pk]))
    assert f"{COMPOSE}?ticket={ticket.pk}" in page.text


def test_the_deal_page_has_the_button(signed_in, deal):
    page = signed_in.get(reverse("records:deal_detail", args=[deal.pk]))
    assert f"{COMPOSE}?deal={deal.pk}" in page.text
    assert signed_in.get(f"{COMPOSE}?deal={deal.pk}", **HTMX).status_code == 200


def test_reply_answers_the_last_external_sender_with_re(signed_in, member, acme):
    first = outgoing.send_email(actor=member, client=acme, to=[JO], subject="Offer", body="x")
    inbound(first.thread, sender="assistant@partner.example")
    html = signed_in.get(f"{COMPOSE}?thread={first.thread_id}", **HTMX).text
    assert 'value="Re: Offer"' in html
    assert 'value="assistant@partner.example"' in html and "wrote in this thread" in html
    assert html.count("checked") == 1
    response = post(
        signed_in,
        f"thread={first.thread_id}",
        {"to": ["assistant@partner.example"], "subject": "Re: Offer"},
        **HTMX,
    )
    assert response.status_code == 200
    reply = EmailMessage.objects.latest("pk")
    assert reply.thread_id == first.thread_id and reply.in_reply_to == "answer-1@acme.example"
    response = post(signed_in, f"thread={first.thread_id}", {"to": [JO]})  # from the page
    assert response["Location"] == reverse("mail:thread", args=[first.thread_id])


def test_sending_answers_with_the_timeline_event_and_closes_the_dialog(signed_in, acme):
    response = post(signed_in, f"client={acme.pk}", {"cc": "boss@acme.example"}, **HTMX)
    assert response.status_code == 200
    message = EmailMessage.objects.get()
    assert response["X-Live-Event"] and response["HX-Reswap"] == "none"
    trigger = json.loads(response["HX-Trigger"])
    assert trigger["mail-sent"]["text"] == f"Sending “Hello” to {JO}."
    assert f"timeline-entry-{message.timeline_entry_id}" in response.text
    assert message.cc == ["boss@acme.example"] and queued(message) == [[message.pk, 1]]


def test_a_plain_post_goes_back_to_the_page_it_came_from(signed_in, acme, deal):
    response = post(signed_in, f"deal={deal.pk}", {})
    assert response.status_code == 302
    assert response["Location"] == reverse("records:deal_detail", args=[deal.pk])
    assert EmailThread.objects.get().deal == deal


def test_a_file_too_large_is_refused_and_the_text_is_kept(settings, signed_in, acme):
    settings.MAIL_ATTACHMENT_MAX_BYTES = 100
    response = post(
        signed_in,
        f"client={acme.pk}",
        {"subject": "Typed subject", "body": "Typed *body*", "attachments": [upload(size=101)]},
        **HTMX,
    )
    assert response.status_code == 422
    html = response.text
    assert 'id="compose-fields"' in html and 'value="Typed subject"' in html
    assert "Typed *body*</textarea>" in html
    assert f'value="{JO}" id="compose-to-1" checked' in html
    assert 'id="compose-attach-errors" hx-swap-oob="true"' in html
    assert "offer.pdf is 101\xa0bytes; each file may be at most 100\xa0bytes." in html
    assert not EmailMessage.objects.exists()


def test_an_address_that_is_not_a_contact_is_refused_clearly(signed_in, acme):
    response = post(signed_in, f"client={acme.pk}", {"to": ["someone@else.example"]}, **HTMX)
    assert response.status_code == 422
    assert "someone@else.example is not an address of Acme GmbH&#x27;s contacts" in response.text
    response = post(signed_in, f"client={acme.pk}", {"body": "Hi {{ me.nmae }}"}, **HTMX)
    assert "Unknown merge field {{ me.nmae }}" in response.text
    response = post(signed_in, f"client={acme.pk}", {"body": "  "})
    assert response.status_code == 422 and "Write a message." in response.text
    assert not EmailMessage.objects.exists()


def test_missing_and_private_records_are_404(signed_in, member, acme):
    assert signed_in.get(COMPOSE).status_code == 404
    assert signed_in.get(f"{COMPOSE}?client=999999").status_code == 404
    assert signed_in.get(f"{COMPOSE}?thread=abc").status_code == 404
    owner = UserFactory(departments=list(member.departments.all()))
    private = outgoing.send_email(actor=owner, client=acme, to=[JO], subject="Mine", body="x")
    EmailThread.objects.filter(pk=private.thread_id).update(private_to=owner)
    assert signed_in.get(f"{COMPOSE}?thread={private.thread_id}").status_code == 404
    response = post(signed_in, f"thread={private.thread_id}", {})
    assert response.status_code == 404 and EmailMessage.objects.count() == 1


def test_a_thread_in_triage_cannot_be_answered(signed_in, admin, client):
    thread = EmailThread.objects.create(subject="Who is this?")
    client.force_login(admin)
    assert client.get(f"{COMPOSE}?thread={thread.pk}").status_code == 403


def test_csrf_is_required(member, acme):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(member)
    response = post(browser, f"client={acme.pk}", {})
    assert response.status_code == 403 and not EmailMessage.objects.exists()


def test_a_snippet_is_put_in_after_what_was_typed(signed_in, member, admin):
    mine = Snippet.objects.create(name="Thanks", subject="Thank you", body="Thanks, {{ me.name }}")
    theirs = Snippet.objects.create(name="Private", body="x", owner=admin)
    url = reverse("mail:compose_snippet")
    html = signed_in.get(url, {"snippet": mine.pk, "subject": "", "body": "Hi Jo"}, **HTMX).text
    assert 'value="Thank you"' in html and "Hi Jo\n\nThanks, {{ me.name }}</textarea>" in html
    html = signed_in.get(url, {"snippet": mine.pk, "subject": "Kept", "body": ""}).text
    assert 'value="Kept"' in html
    assert signed_in.get(url, {"snippet": theirs.pk}).status_code == 404
    assert signed_in.get(url, {"snippet": "x"}).status_code == 404


def test_retry_from_the_timeline(settings, signed_in, member, acme):
    message = outgoing.send_email(actor=member, client=acme, to=[JO], subject="S", body="B")
    url = reverse("mail:retry", args=[message.pk])
    assert signed_in.get(url).status_code == 405
    response = signed_in.post(url, **HTMX)
    assert response.status_code == 422 and "nothing to retry" in response.text
    EmailMessage.objects.filter(pk=message.pk).update(status="failed", attempts=1)
    response = signed_in.post(url, **HTMX)
    assert response.status_code == 200 and response["X-Live-Event"]
    assert EmailMessage.objects.get(pk=message.pk).status == "sending"
    assert queued(message)[-1] == [message.pk, 2]
    EmailMessage.objects.filter(pk=message.pk).update(status="failed")
    response = signed_in.post(url)  # a plain form: back to the thread
    assert response["Location"] == reverse("mail:thread", args=[message.thread_id])


def test_retry_by_someone_else_is_refused(client, member, acme):
    message = outgoing.send_email(actor=member, client=acme, to=[JO], subject="S", body="B")
    EmailMessage.objects.filter(pk=message.pk).update(status="failed", attempts=1)
    client.force_login(UserFactory(departments=list(member.departments.all())))
    url = reverse("mail:retry", args=[message.pk])
    assert client.post(url, **HTMX).status_code == 403
    EmailThread.objects.filter(pk=message.thread_id).update(private_to=member)
    assert client.post(url, **HTMX).status_code == 404
    assert client.post(reverse("mail:retry", args=[999999])).status_code == 404
