# ruff: noqa: F811 (the fixtures imported from the e2e harness)
"""A thread made private in headless Chromium: a colleague's open client page loses its
mail at once, the owner's keeps it (marked Private), and made visible again it comes
back in place on the colleague's page — no reload anywhere."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (  # noqa: F401 (fixtures)
    browser_problems,
    chromium,
    new_context,
    open_live,
    run_script,
    sign_in,
)
from tests.servers import migrated_sqlite, serve, server_db  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

THREAD = """
from django.db import transaction
from integrations.mail.models import EmailMessage, EmailThread
from integrations.mail.timeline import record_message

ben = User.objects.get(pk=int(sys.argv[1]))
client = services.create_client(actor=ben, name="Initech", domain="initech.example")
thread = EmailThread.objects.create(client=client, subject="Layoff plans", created_by=ben)
with transaction.atomic():
    message = EmailMessage.objects.create(
        thread=thread, client=client, direction="out", status="sent", sender=ben,
        from_address=ben.email, to=["bill@initech.example"], subject=thread.subject,
        body_text="Keep this between us.", body_html="<p>Keep this between us.</p>",
        message_id="layoffs-1@in.workspace.localhost",
    )
    record_message(message, kind="mail.sent")
print(json.dumps({"client": client.pk, "thread": thread.pk, "entry": message.timeline_entry_id}))
"""


def test_a_thread_made_private_leaves_others_pages_live(
    serve, server_db, run_script, sign_in, open_live, browser_problems
):
    server = serve()
    ben = server_db.run("user", "Ben Member")
    cleo = server_db.run("user", "Cleo Member")
    made = run_script(THREAD, ben["id"])
    client_url = f"{server.url}/clients/{made['client']}/"
    ben_client, ben_thread, cleo_client = (
        sign_in(server, ben),
        sign_in(server, ben),
        sign_in(server, cleo),
    )
    for page, url in (
        (ben_client, client_url),
        (cleo_client, client_url),
        (ben_thread, f"{server.url}/mail/threads/{made['thread']}/"),
    ):
        open_live(page, url)
    entry = f"#timeline-entry-{made['entry']}"
    expect(cleo_client.locator(entry)).to_contain_text("Keep this between us.")
    cleo_client.evaluate("window.notReloaded = true")

    ben_thread.get_by_role("button", name="Mark private").click()
    expect(ben_thread.locator(".mail-privacy")).to_contain_text("Only Ben Member and admins")
    expect(cleo_client.locator(entry)).to_be_hidden()
    expect(cleo_client.locator(entry)).not_to_contain_text("Keep this between us.")
    expect(ben_client.locator(entry)).to_contain_text("Keep this between us.")
    expect(ben_client.locator(f"{entry} .mail-private")).to_be_visible()

    ben_thread.get_by_role("button", name="Make visible to everyone").click()
    expect(cleo_client.locator(entry)).to_contain_text("Keep this between us.")
    expect(ben_client.locator(f"{entry} .mail-private")).to_have_count(0)
    assert cleo_client.evaluate("window.notReloaded") is True
    assert browser_problems == []
