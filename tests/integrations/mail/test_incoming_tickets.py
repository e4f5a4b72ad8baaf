"""A ticket's email: the panel on the ticket page, and its live reload."""

from integrations.mail.models import EmailThread
from integrations.mail.services.incoming import receive
from records.services.tickets import create_ticket
from tests.factories import UserFactory
from tests.integrations.mail.messages import acme, bea, build, raw
from tests.live_helpers import capture_events

__all__ = ["acme", "bea"]
HTMX = {"HTTP_HX_REQUEST": "true"}


def ticket_mail(bea, member, **kwargs):
    ticket = create_ticket(actor=member, client=bea.client, subject="Printer")
    with capture_events() as published:
        message = receive(raw(build(subject=f"[Ticket #{ticket.pk}] Printer", **kwargs))).message
    return ticket, message, published


def test_the_ticket_page_loads_its_email_panel(client, bea, member):
    ticket, message, _ = ticket_mail(bea, member, text="It is still on fire.")
    client.force_login(member)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f'hx-get="/mail/tickets/{ticket.pk}/"' in page
    panel = client.get(f"/mail/tickets/{ticket.pk}/", **HTMX).content.decode()
    assert "It is still on fire." in panel
    assert f"/mail/threads/{message.thread_id}/#mail-message-{message.pk}" in panel
    assert client.get(f"/mail/tickets/{ticket.pk}/")["Location"] == f"/tickets/{ticket.pk}/"


def test_a_mail_in_a_tickets_thread_reloads_open_ticket_pages(bea, member):
    ticket, _, published = ticket_mail(bea, member)
    [event] = [event for event in published if event.kind == "mail.ticket"]
    assert event.topic == f"ticket.{ticket.pk}"
    assert f'hx-get="/mail/tickets/{ticket.pk}/"' in event.html
    assert 'hx-swap-oob="true"' in event.html


def test_private_threads_show_only_to_their_owner(client, bea, member, admin):
    ticket, message, _ = ticket_mail(bea, member, text="Secret words")
    owner = UserFactory()
    EmailThread.objects.filter(pk=message.thread_id).update(private_to=owner)
    for person, sees in ((member, False), (owner, True), (admin, True)):
        client.force_login(person)
        panel = client.get(f"/mail/tickets/{ticket.pk}/", **HTMX).content.decode()
        assert ("Secret words" in panel) is sees


def test_the_panel_of_a_missing_ticket_is_not_found(client, member, db):
    client.force_login(member)
    assert client.get("/mail/tickets/999999/", **HTMX).status_code == 404
