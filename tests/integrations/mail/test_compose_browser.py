# ruff: noqa: F811 (the fixtures imported from the e2e harness)
"""The compose dialog in headless Chromium, at 1280 px and 390 px: it opens from the client
page, a snippet fills it, a file over the limit is refused before uploading (and what was
typed stays), and the sent mail closes the dialog and shows on the timeline at once.

Screenshots of the dialog are left in the test's tmp_path (``email-compose-desktop.png``,
``email-compose-phone.png``); run with ``--basetemp`` to keep them for docs/screenshots/.
"""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (  # noqa: F401 (fixtures)
    browser_problems,
    chromium,
    new_context,
    run_script,
    sign_in,
)
from tests.servers import migrated_sqlite, serve, server_db  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

BOOK = """
from integrations.mail.services.snippets import create_snippet
from tests.live_helpers import session_cookie

mia = User.objects.get(pk=int(sys.argv[1]))
mia.email_signature = "Mia Novak\\nAccount manager, **Northwind**"
mia.save()
client = services.create_client(actor=mia, name="Globex Corporation", domain="globex.example")
services.create_contact(
    actor=mia, client=client, name="Hank Scorpio", title="CEO", emails=["hank@globex.example"]
)
services.create_contact(
    actor=mia, client=client, name="Frank Grimes", title="Safety inspector",
    emails=["frank@globex.example", "frank.grimes@home.example"],
)
create_snippet(
    actor=mia, name="Follow-up after a call", subject="Our call today",
    body="Hi {{ contact.first_name }},\\n\\nthank you for your time today. As promised, "
    "the offer for **{{ client.name }}** is attached.\\n\\nBest regards",
)
print(json.dumps({"client": client.pk}))
"""

OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def open_dialog(page, url: str):
    page.goto(url)
    page.get_by_role("link", name="Send email").click()
    dialog = page.locator("#compose-modal")
    expect(dialog).to_be_visible()
    return dialog


def test_compose_from_the_client_page(
    serve, server_db, run_script, sign_in, browser_problems, tmp_path
):
    server = serve(MAIL_ATTACHMENT_MAX_BYTES="2000")
    mia = server_db.run("user", "Mia Novak")
    book = run_script(BOOK, mia["id"])
    page = sign_in(server, mia)
    client_url = f"{server.url}/clients/{book['client']}/"

    for name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        dialog = open_dialog(page, client_url)
        dialog.get_by_label("Snippet").select_option(label="Follow-up after a call")
        expect(dialog.get_by_label("Subject")).to_have_value("Our call today")
        dialog.get_by_label("Hank Scorpio").check()
        expect(dialog.locator(".compose-signature")).to_contain_text("Account manager")
        assert page.evaluate(OVERFLOW) <= 0, f"the dialog scrolls sideways on the {name}"
        dialog.locator(".modal-body").evaluate("(body) => { body.scrollTop = 0; }")
        page.screenshot(path=tmp_path / f"email-compose-{name}.png")
        dialog.get_by_role("button", name="Close").click()
        expect(dialog).to_have_count(0)

    dialog = open_dialog(page, client_url)
    dialog.get_by_label("Hank Scorpio").check()
    dialog.get_by_label("Subject").fill("Our call today")
    dialog.get_by_label("Message (Markdown)").fill("Hi {{ contact.first_name }}, see the offer.")
    files = dialog.get_by_label("Attachments")
    files.set_input_files(
        [{"name": "huge.pdf", "mimeType": "application/pdf", "buffer": b"x" * 3000}]
    )
    expect(dialog.locator("#compose-attach-errors")).to_contain_text("huge.pdf")
    dialog.get_by_role("button", name="Send").click()
    expect(dialog.get_by_label("Subject")).to_have_value("Our call today")  # nothing sent
    files.set_input_files([{"name": "offer.pdf", "mimeType": "application/pdf", "buffer": b"%PDF"}])
    expect(dialog.locator("#compose-attach-errors")).to_be_empty()

    # A refusal from the server keeps the text and the files picked.
    dialog.get_by_label("Cc").fill("not an address")
    dialog.get_by_role("button", name="Send").click()
    expect(dialog.locator("#compose-fields")).to_contain_text("“not” is not an email address.")
    expect(dialog.get_by_label("Message (Markdown)")).to_have_value(
        "Hi {{ contact.first_name }}, see the offer."
    )
    assert files.evaluate("(input) => input.files.length") == 1

    dialog.get_by_label("Cc").fill("")
    dialog.get_by_role("button", name="Send").click()
    expect(page.locator("#compose-modal")).to_have_count(0)
    expect(page.locator(".toast")).to_contain_text(
        "Sending “Our call today” to hank@globex.example"
    )
    expect(page.locator(f"#timeline-{book['client']}-entries")).to_contain_text(
        "emailed hank@globex.example: Our call today"
    )
    # The refused post is a 422 answer (shown in place); Chromium logs it, nothing else failed.
    assert [text for text in browser_problems if "422" not in text] == []
