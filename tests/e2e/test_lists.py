"""The ticket list in a real browser: filters update the table and the address (htmx), a
view is saved, and a ticket opened by someone else appears at the top of an open list
(and, in a filtered list, as a "new tickets" notice instead of a row out of place)."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_live_notifications import signed_in_page
from tests.e2e.test_ticket_page import open_ticket

pytestmark = pytest.mark.browser


def test_filters_saved_views_and_live_rows(chromium, serve, server_db):
    server = serve()
    sam = server_db.run("user", "Sam Support", "--department", "Support")
    ben = server_db.run("user", "Ben Member")
    first = open_ticket(server_db, sam["id"])
    problems = []
    ben_page = signed_in_page(chromium, server, ben, problems)
    filtered = signed_in_page(chromium, server, ben, problems)

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

    ben_page.goto(f"{server.url}/tickets/")
    filtered.goto(f"{server.url}/tickets/?status=solved")
    for page in (ben_page, filtered):
        expect(page.locator("body")).to_have_class(re.compile(r"\blive-online\b"))
    ben_page.evaluate("window.notReloaded = true")

    second = open_ticket(server_db, sam["id"])
    row = ben_page.locator(f"#ticket-row-{second}")
    expect(row).to_be_visible()
    expect(row).to_have_class(re.compile(r"\bis-fresh\b"))
    expect(ben_page.locator("#ticket-rows .list-row").first).to_have_id(f"ticket-row-{second}")
    expect(filtered.locator(".list-new-notice")).to_be_visible()
    expect(filtered.locator(f"#ticket-row-{second}")).to_be_hidden()
    assert ben_page.evaluate("window.notReloaded") is True
    assert problems == []
