"""Two people on one ticket page in two browsers: support solves and rates the ticket; a
colleague outside support sees status, SLA and rating change live, with no buttons of
their own appearing."""

import json
import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.e2e.test_live_notifications import signed_in_page
from tests.servers import ROOT

pytestmark = pytest.mark.browser

OPEN_TICKET = """
import django, json, sys
django.setup()
from accounts.models import User
from records import services
support = User.objects.get(pk=int(sys.argv[1]))
client = services.create_client(actor=support, name="Initech", domain="initech.example")
ticket = services.create_ticket(actor=support, client=client, subject="TPS reports vanish")
print(json.dumps({"id": ticket.pk}))
"""


def open_ticket(server_db, actor_id: int) -> int:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", OPEN_TICKET, str(actor_id)],
        cwd=ROOT,
        env=server_db.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])["id"]


def test_status_and_rating_reach_another_viewer_live(chromium, serve, server_db):
    server = serve()
    sam = server_db.run("user", "Sam Support", "--department", "Support")
    ben = server_db.run("user", "Ben Member")
    pk = open_ticket(server_db, sam["id"])
    problems = []
    sam_page = signed_in_page(chromium, server, sam, problems)
    ben_page = signed_in_page(chromium, server, ben, problems)
    for page in (sam_page, ben_page):
        page.goto(f"{server.url}/tickets/{pk}/")
        expect(page.locator("body")).to_have_class(re.compile(r"\blive-online\b"))
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
    assert problems == []
