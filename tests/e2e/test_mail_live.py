"""A client's reply, delivered over real SMTP to the receiver (``manage.py receive_mail``,
a process of its own on the servers' database), appears live on the client page a
salesperson has open: no reload."""

import smtplib

import pytest
from playwright.sync_api import expect

from tests.integrations.mail.inbound_helpers import INBOUND_DOMAIN, mail, receive_mail

pytestmark = [pytest.mark.browser, pytest.mark.backend]

# A client with a contact, and a mail the salesperson sent her (as the job leaves it: sent).
MAIL_SENT_TO_ACME = """
from integrations.mail.models import EmailMessage, EmailThread
from tests.integrations.mail.inbound_helpers import acme_with_ana
seller = User.objects.get(pk=int(sys.argv[1]))
client = acme_with_ana(seller)
thread = EmailThread.objects.create(client=client, subject="Our offer", created_by=seller)
EmailMessage.objects.create(
    thread=thread, client=client, direction="out", status="sent", source="app",
    message_id="offer-e2e@in.workspace.localhost", from_address="workspace@localhost",
    to=["ana@acme.example"], subject="Our offer", body_text="Here is our offer.", sender=seller,
)
print(json.dumps({"client": client.pk, "token": thread.reply_token}))
"""


def test_a_reply_over_smtp_appears_on_the_open_client_page(
    serve, server_db, run_script, sign_in, open_live, browser_problems
):
    server = serve()
    seller = server_db.run("user", "Sam Seller")
    sent = run_script(MAIL_SENT_TO_ACME, seller["id"])
    page = sign_in(server, seller)
    open_live(page, f"{server.url}/clients/{sent['client']}/")
    page.evaluate("window.notReloaded = true")
    timeline = page.locator(f"#timeline-{sent['client']}-entries")
    expect(timeline).not_to_contain_text("Signed and returned")

    reply_to = f"reply+{sent['token']}@{INBOUND_DOMAIN}"
    reply = mail(
        "Re: Our offer",
        to=reply_to,
        body="Signed and returned, see you Monday.\n\nAna",
        In_Reply_To="<offer-e2e@in.workspace.localhost>",
        References="<offer-e2e@in.workspace.localhost>",
    )
    with receive_mail(server_db.env()) as receiver:
        with smtplib.SMTP("127.0.0.1", receiver.port, timeout=10) as smtp:
            assert smtp.sendmail("ana@acme.example", [reply_to], reply) == {}
        expect(timeline).to_contain_text("Signed and returned", timeout=15_000)

    assert page.evaluate("window.notReloaded") is True
    assert receiver.returncode == 0, receiver.output
    assert browser_problems == []
