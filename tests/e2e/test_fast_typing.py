"""Typing at machine speed the moment an inline editor opens: every key lands, in order.

The editor's input exists as soon as the click is handled, and the server's editor is
built around it, so keys pressed before or while the server answers are neither lost
nor wrapped around the old value; Ctrl+A replaces it. Run on the local server's own
pace and behind 400 ms of network latency (every key then lands before the answer).
"""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

KEY_DELAY_MS = 15  # a key every 15 ms: faster than any person types

CREATE = """
owner = User.objects.get(pk=int(sys.argv[1]))
client = services.create_client(
    actor=owner, name="Zeta Test client 96210", tags=["old"], address="Old street 1"
)
deal = services.create_deal(actor=owner, client=client, title="Zeta Test deal 96280", amount=100)
print(json.dumps({"client": client.pk, "deal": deal.pk}))
"""

READ = """
from records.models import Client, Deal
client = Client.objects.get(pk=int(sys.argv[1]))
deal = Deal.objects.get(pk=int(sys.argv[2]))
print(json.dumps({
    "client.name": client.name, "client.address": client.address,
    "client.lifecycle": client.lifecycle, "client.tags": client.tags,
    "deal.title": deal.title, "deal.amount": str(deal.amount),
    "deal.expected_close": str(deal.expected_close),
}))
"""

SELECT_ALL = ("press", "Control+A")

# (record, field, what the person does, the value saved)
EDITS = [
    ("client", "name", [SELECT_ALL, ("type", "Typed fast")], "Typed fast"),
    ("deal", "title", [SELECT_ALL, ("type", "Renamed deal 6272")], "Renamed deal 6272"),
    (
        "client",
        "address",
        [SELECT_ALL, ("type", "Line one"), ("press", "Shift+Enter"), ("type", "Line two")],
        "Line one\nLine two",
    ),
    ("client", "lifecycle", [("type", "cus")], "customer"),
    ("deal", "expected_close", [("type", "03152027")], "2027-03-15"),
    ("deal", "amount", [SELECT_ALL, ("type", "1234.5")], "1234.50"),
    ("client", "tags", [SELECT_ALL, ("type", "alpha, beta")], ["alpha", "beta"]),
    ("client", "name", [("type", " Ltd")], "Typed fast Ltd"),  # the caret starts at the end
]


def slow_network(page, latency_ms: int) -> None:
    """Every request of ``page`` waits ``latency_ms`` (Chromium's own network emulation)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": latency_ms, "downloadThroughput": -1, "uploadThroughput": -1},
    )


def type_right_away(page, field_id: str, steps) -> None:
    """Click the field and, without waiting for anything, do ``steps`` and press Enter."""
    page.locator(f"#{field_id} .field-display").click()
    for action, keys in steps:
        if action == "type":
            page.keyboard.type(keys, delay=KEY_DELAY_MS)
        else:
            page.keyboard.press(keys, delay=KEY_DELAY_MS)
    page.keyboard.press("Enter")
    # Saved: the editor is gone and the field shows its value again.
    expect(page.locator(f"#{field_id} .field-display")).to_be_visible()


@pytest.mark.parametrize("latency_ms", [0, 400])
def test_keys_typed_as_the_editor_opens_are_saved_exactly(
    latency_ms, serve, server_db, run_script, sign_in, browser_problems
):
    server = serve()
    ada = server_db.run("user", "Ada Admin", "--role", "admin")
    ids = run_script(CREATE, ada["id"])
    page = sign_in(server, ada)
    if latency_ms:
        slow_network(page, latency_ms)
    pages = {"client": f"/clients/{ids['client']}/", "deal": f"/deals/{ids['deal']}/"}

    for model, field, steps, expected in EDITS:
        if page.url != server.url + pages[model]:
            page.goto(server.url + pages[model])
        type_right_away(page, f"field-{model}-{ids[model]}-{field}", steps)
        saved = run_script(READ, ids["client"], ids["deal"])[f"{model}.{field}"]
        assert saved == expected, f"{model}.{field} with {latency_ms} ms latency"
    assert browser_problems == []


def test_escape_before_the_editor_arrives_keeps_the_value(
    serve, server_db, run_script, sign_in, browser_problems
):
    server = serve()
    ada = server_db.run("user", "Ada Admin", "--role", "admin")
    ids = run_script(CREATE, ada["id"])
    page = sign_in(server, ada)
    slow_network(page, 1000)
    page.goto(f"{server.url}/clients/{ids['client']}/")
    field_id = f"field-client-{ids['client']}-name"

    page.locator(f"#{field_id} .field-display").click()
    page.keyboard.type("Never saved", delay=KEY_DELAY_MS)
    page.keyboard.press("Escape")

    expect(page.locator(f"#{field_id}-value")).to_have_text("Zeta Test client 96210")
    expect(page.locator(f"#{field_id} .field-display")).to_be_focused()
    page.wait_for_timeout(1500)  # the editor's answer would have arrived: it was dropped
    expect(page.locator(f"#{field_id} [name=value]")).to_have_count(0)
    assert run_script(READ, ids["client"], ids["deal"])["client.name"] == "Zeta Test client 96210"
    assert browser_problems == []


def test_a_choice_opens_on_the_current_value(serve, server_db, run_script, sign_in):
    server = serve()
    ada = server_db.run("user", "Ada Admin", "--role", "admin")
    ids = run_script(CREATE, ada["id"])
    page = sign_in(server, ada)
    page.goto(f"{server.url}/clients/{ids['client']}/")
    for field in ("lifecycle", "owner", "department"):
        field_id = f"field-client-{ids['client']}-{field}"
        current = page.locator(f"#{field_id}-value").get_attribute("data-raw")
        page.locator(f"#{field_id} .field-display").click()
        expect(page.locator(f"#{field_id} [type=submit]")).to_be_visible()  # the server's editor
        assert page.locator(f"#{field_id} select[name=value]").input_value() == current
        page.keyboard.press("Escape")
        expect(page.locator(f"#{field_id}-value")).to_be_visible()
