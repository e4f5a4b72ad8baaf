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


def edits(n: int) -> list[tuple[str, str, list, str]]:
    """Round ``n``'s edits: (record, field, what the person does, the value then stored,
    as its editor holds it). Each round stores new values."""
    date = ("03152027", "2027-03-15") if n == 0 else ("04162028", "2028-04-16")
    return [
        ("client", "name", [SELECT_ALL, ("type", f"Typed fast {n}")], f"Typed fast {n}"),
        ("deal", "title", [SELECT_ALL, ("type", f"Renamed deal {n}")], f"Renamed deal {n}"),
        (
            "client",
            "address",
            [SELECT_ALL, ("type", f"Line one {n}"), ("press", "Shift+Enter"), ("type", "Line two")],
            f"Line one {n}\nLine two",
        ),
        ("client", "lifecycle", [("type", ("cus", "pro")[n])], ("customer", "prospect")[n]),
        ("deal", "expected_close", [("type", date[0])], date[1]),
        ("deal", "amount", [SELECT_ALL, ("type", f"123{n}.5")], f"123{n}.50"),
        ("client", "tags", [SELECT_ALL, ("type", f"alpha, beta{n}")], f"alpha, beta{n}"),
        ("client", "name", [("type", " Ltd")], f"Typed fast {n} Ltd"),  # the caret is at the end
    ]


def slow_network(page, latency_ms: int) -> None:
    """Every request of ``page`` waits ``latency_ms`` (Chromium's own network emulation)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": latency_ms, "downloadThroughput": -1, "uploadThroughput": -1},
    )


def type_right_away(page, field_id: str, steps) -> str:
    """Click the field and, without waiting for anything, do ``steps`` and press Enter;
    returns the value stored, as the server's redrawn field says (``data-raw``)."""
    page.locator(f"#{field_id} .field-display").click()
    for action, keys in steps:
        if action == "type":
            page.keyboard.type(keys, delay=KEY_DELAY_MS)
        else:
            page.keyboard.press(keys, delay=KEY_DELAY_MS)
    page.keyboard.press("Enter")
    # Saved: the editor is gone and the field shows its value again.
    expect(page.locator(f"#{field_id} .field-display")).to_be_visible()
    return page.locator(f"#{field_id}-value").get_attribute("data-raw")


def test_keys_typed_as_the_editor_opens_are_saved_exactly(
    serve, server_db, run_script, sign_in, browser_problems
):
    """At the local server's own pace (the editor arrives while keys are typed), then
    behind 400 ms of latency (every key lands before it)."""
    server = serve()
    ada = server_db.run("user", "Ada Admin", "--role", "admin")
    ids = run_script(CREATE, ada["id"])
    page = sign_in(server, ada)
    pages = {"client": f"/clients/{ids['client']}/", "deal": f"/deals/{ids['deal']}/"}

    for n, latency_ms in enumerate((0, 400)):
        slow_network(page, latency_ms)
        for model, field, steps, expected in edits(n):
            if page.url != server.url + pages[model]:
                page.goto(server.url + pages[model])
            stored = type_right_away(page, f"field-{model}-{ids[model]}-{field}", steps)
            assert stored == expected, f"{model}.{field} with {latency_ms} ms latency"

    assert run_script(READ, ids["client"], ids["deal"]) == {
        "client.name": "Typed fast 1 Ltd",
        "client.address": "Line one 1\nLine two",
        "client.lifecycle": "prospect",
        "client.tags": ["alpha", "beta1"],
        "deal.title": "Renamed deal 1",
        "deal.amount": "1231.50",
        "deal.expected_close": "2028-04-16",
    }
    assert browser_problems == []


def test_choices_open_on_the_current_value_and_escape_saves_nothing(
    serve, server_db, run_script, sign_in, browser_problems
):
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

    # Escape pressed before the editor arrives (1 s away): the field is back at once, with
    # the focus, and the editor's late answer is dropped.
    slow_network(page, 1000)
    field_id = f"field-client-{ids['client']}-name"
    page.locator(f"#{field_id} .field-display").click()
    page.keyboard.type("Never saved", delay=KEY_DELAY_MS)
    page.keyboard.press("Escape")
    expect(page.locator(f"#{field_id}-value")).to_have_text("Zeta Test client 96210")
    expect(page.locator(f"#{field_id} .field-display")).to_be_focused()
    page.wait_for_timeout(1500)
    expect(page.locator(f"#{field_id} [name=value]")).to_have_count(0)
    assert run_script(READ, ids["client"], ids["deal"])["client.name"] == "Zeta Test client 96210"
    assert browser_problems == []
