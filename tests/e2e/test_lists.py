"""The ticket list in a real browser: filters update the table and the address (htmx), a
view is saved, and a ticket opened by someone else appears at the top of an open list
(and, in a filtered list, as a "new tickets" notice instead of a row out of place)."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_filters_saved_views_and_live_rows(
    serve, server_db, open_ticket, sign_in, open_live, browser_problems
):
    server = serve()
    sam = server_db.run("user", "Sam Support", "--department", "Support")
    ben = server_db.run("user", "Ben Member")
    first = open_ticket(sam)
    ben_page = sign_in(server, ben)
    filtered = sign_in(server, ben)

    ben_page.goto(f"{server.url}/tickets/")
    expect(ben_page.locator(f"#ticket-row-{first}")).to_be_visible()
    ben_page.select_option("#filter-priority", "urgent")
    expect(ben_page).to_have_url(re.compile(r"/tickets/\?priority=urgent$"))
    expect(ben_page.locator(".list-count")).to_contain_text("0 tickets match")
    ben_page.locator("#list-filters input[name=q]").fill("TPS")
    expect(ben_page).to_have_url(re.compile(r"priority=urgent&q=TPS$"))

    ben_page.get_by_role("button", name="Save view").first.click()
    ben_page.fill("#save-view-name", "Urgent TPS")
    ben_page.locator("#save-view-form button[type=submit]").click()
    expect(ben_page.locator(".view-pill.is-mine.active")).to_contain_text("Urgent TPS")

    open_live(ben_page, f"{server.url}/tickets/")
    open_live(filtered, f"{server.url}/tickets/?status=solved")
    ben_page.evaluate("window.notReloaded = true")

    second = open_ticket(sam)
    row = ben_page.locator(f"#ticket-row-{second}")
    expect(row).to_be_visible()
    expect(row).to_have_class(re.compile(r"\bis-fresh\b"))
    expect(ben_page.locator("#ticket-rows .list-row").first).to_have_id(f"ticket-row-{second}")
    expect(filtered.locator(".list-new-notice")).to_be_visible()
    expect(filtered.locator(f"#ticket-row-{second}")).to_be_hidden()
    assert ben_page.evaluate("window.notReloaded") is True
    assert browser_problems == []
