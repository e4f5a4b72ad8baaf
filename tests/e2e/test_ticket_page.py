"""Two people on one ticket page in two browsers: support solves and rates the ticket; a
colleague outside support sees status, SLA and rating change live, with no buttons of
their own appearing."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_status_and_rating_reach_another_viewer_live(
    serve, server_db, open_ticket, sign_in, open_live, browser_problems
):
    server = serve()
    sam = server_db.run("user", "Sam Support", "--department", "Support")
    ben = server_db.run("user", "Ben Member")
    pk = open_ticket(sam)
    sam_page = sign_in(server, sam)
    ben_page = sign_in(server, ben)
    for page in (sam_page, ben_page):
        open_live(page, f"{server.url}/tickets/{pk}/")
    ben_page.evaluate("window.notReloaded = true")
    expect(ben_page.locator(f"#ticket-actions-{pk}")).to_contain_text("Status: New")

    sam_page.locator(f"#ticket-actions-{pk}").get_by_role("button", name="Solve").click()
    expect(ben_page.locator(f"#ticket-status-{pk}")).to_have_text("Solved")
    expect(ben_page.locator(f"#ticket-sla-{pk} .sla-pill")).to_contain_text("Met")
    expect(ben_page.locator(f"#ticket-history-{pk}")).to_contain_text("Sam Support")
    # Each page fetched its own controls: Sam may reopen, Ben still only reads.
    expect(sam_page.locator(f"#ticket-actions-{pk}")).to_contain_text("Reopen")
    expect(ben_page.locator(f"#ticket-actions-{pk}")).to_contain_text("Status: Solved")
    expect(ben_page.locator(f"#ticket-rate-{pk} button")).to_have_count(0)

    sam_page.locator(f"#ticket-rate-{pk}").get_by_role("button", name="4 of 5").click()
    expect(ben_page.locator(f"#ticket-rating-{pk}")).to_contain_text("4/5")
    assert ben_page.evaluate("window.notReloaded") is True
    assert browser_problems == []
