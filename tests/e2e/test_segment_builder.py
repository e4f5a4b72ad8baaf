"""The segment builder in a browser: conditions follow their field, the live count follows
the latest state even when changes outrun a slow network, and saving keeps what was built."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_fast_typing import slow_network

pytestmark = pytest.mark.browser

BOOK = """
owner = User.objects.get(pk=int(sys.argv[1]))
for name, lifecycle, tags in [
    ("Lead One", "lead", ["vip"]), ("Lead Two", "lead", []), ("Cust One", "customer", ["vip"]),
    ("Pro One", "prospect", []), ("Pro Two", "prospect", ["vip"]), ("Pro Three", "prospect", []),
]:
    client = services.create_client(actor=owner, name=name, lifecycle=lifecycle, tags=tags)
    services.create_contact(actor=owner, client=client, name=f"{name} Person")
print(json.dumps({}))
"""

SAVED = """
from marketing.models import Segment
segment = Segment.objects.get()
print(json.dumps({"name": segment.name, "definition": segment.definition}))
"""

# htmx reports each request that a newer one replaced (hx-sync) as an error event.
DROPPED = re.compile(r"htmx:(sendAbort|afterRequest)")


def settled(page) -> None:
    """Wait until htmx has processed the builder it swapped in (it does so as the swap
    settles, ~20 ms later: a person is never that fast, a test is)."""
    expect(page.locator("#segment-builder")).not_to_have_class(
        re.compile(r"htmx-(swapping|settling)")
    )
    page.wait_for_timeout(50)


def count_text(page) -> str:
    return " ".join(page.locator("#segment-live .segment-live-body").inner_text().split())


def test_the_count_follows_the_latest_change_and_saving_keeps_it(
    serve, server_db, run_script, sign_in, browser_problems
):
    server = serve()
    mia = server_db.run("user", "Mia Marketer", "--department", "Marketing")
    run_script(BOOK, mia["id"])
    page = sign_in(server, mia)
    page.goto(f"{server.url}/marketing/segments/new/")
    expect(page.locator("#segment-live")).to_contain_text("6 clients")

    page.get_by_role("button", name="Add condition").click()
    value = page.locator("select[name='g0-c0-value']")
    expect(value).to_be_visible()
    settled(page)
    value.select_option("lead")
    expect(page.locator("#segment-live")).to_contain_text("2 clients")

    # Three choices within a few milliseconds behind 400 ms of latency: the older
    # answers are dropped, the one shown is the last choice's.
    slow_network(page, 400)
    for lifecycle in ("customer", "lead", "prospect"):
        value.select_option(lifecycle)
    expect(page.locator("#segment-live")).to_contain_text("3 clients")
    page.wait_for_timeout(1500)
    assert count_text(page) == "3 clients 3 contacts"

    # Another condition, whose field changes its operator and value input; typing is
    # debounced and only the last text counts.
    page.get_by_role("button", name="Add condition").click()
    settled(page)
    page.locator("select[name='g0-c1-field']").select_option("tags")
    tags = page.locator("input[name='g0-c1-value']")
    expect(tags).to_be_visible()
    settled(page)
    tags.press_sequentially("vipp", delay=20)
    tags.press("Backspace")
    expect(page.locator("#segment-live")).to_contain_text("1 client")
    page.wait_for_timeout(1500)
    assert count_text(page) == "1 client 1 contact"

    slow_network(page, 0)
    page.locator("#segment-name").fill("VIP prospects")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".page-title")).to_have_text("VIP prospects")
    saved = run_script(SAVED)
    assert saved["definition"]["groups"][0]["conditions"] == [
        {"field": "lifecycle", "op": "is", "value": "prospect"},
        {"field": "tags", "op": "any", "value": ["vip"]},
    ]
    assert [problem for problem in browser_problems if not DROPPED.search(problem)] == []
