"""Automation in browsers, with a real worker: a support manager builds a rule in the page
("when a ticket is opened, if its priority is urgent, notify Ana"); an urgent ticket
opened elsewhere reaches Ana's open page as a notification, and the manager's run log
shows the run arrive, live. With ``SCREENSHOTS=1`` it also takes the screenshots of the
builder and the run log, desktop and phone (docs/screenshots/automation-*):

    SCREENSHOTS=1 .venv/bin/python -m pytest tests/e2e/test_automation.py
"""

import os
import re

import pytest
from playwright.sync_api import expect

from tests.jobs.test_worker_crash import Worker
from tests.servers import ROOT

pytestmark = pytest.mark.browser

SHOTS = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

URGENT_TICKET = """
agent = User.objects.get(pk=int(sys.argv[1]))
client = services.create_client(actor=agent, name="Initech", domain="initech.example")
ticket = services.create_ticket(
    actor=agent, client=client, subject="Servers down", priority="urgent"
)
print(json.dumps({"id": ticket.pk}))
"""


@pytest.fixture
def worker(server_db, tmp_path):
    """A ``run_worker`` process on the servers' database, taking the automation jobs."""
    started = Worker(server_db, tmp_path, "automation").start().wait_started()
    yield started
    started.stop()


def settled(page) -> None:
    """Until htmx has processed the builder it swapped in."""
    expect(page.locator("#rule-builder")).not_to_have_class(re.compile(r"htmx-(swapping|settling)"))
    page.wait_for_timeout(50)


def choose(page, selector: str, value: str) -> None:
    """Pick an option whose change redraws the builder, and wait for the redraw."""
    with page.expect_response(re.compile(r"/automation/builder/")):
        page.locator(selector).select_option(value)
    settled(page)


def press(page, name: str) -> None:
    with page.expect_response(re.compile(r"/automation/builder/")):
        page.get_by_role("button", name=name).click()
    settled(page)


def build_urgent_ticket_rule(page, ana_id: int) -> None:
    page.locator("#rule-name").fill("Urgent tickets to Ana")
    page.locator("#rule-description").fill("Ana hears at once of every urgent ticket.")
    choose(page, "#rule-trigger", "ticket.created")
    press(page, "Add condition")
    choose(page, "#c0-field", "ticket.priority")
    page.locator("[name=c0-value]").select_option("urgent")
    choose(page, "#a0-type", "notify")
    choose(page, "#a0-to", "people")
    page.locator("#a0-people").select_option(str(ana_id))
    page.locator("#a0-text").fill("Urgent ticket: {ticket.subject}")
    page.locator("#rule-enabled").check()


def shoot(page, name: str) -> None:
    """A whole-page screenshot from the top (the top bar is sticky), when asked for: a test
    run leaves the checkout as it found it."""
    if not os.environ.get("SCREENSHOTS"):
        return
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=SHOTS / f"automation-{name}.png", full_page=True)


def test_a_rule_built_in_the_page_acts_live_for_another_person(
    serve, server_db, run_script, sign_in, open_live, worker, new_context, browser_problems
):
    server = serve()
    sam = server_db.run("user", "Sam Support", "--role", "manager", "--department", "Support")
    ana = server_db.run("user", "Ana Agent", "--department", "Support")
    sam_page = sign_in(server, sam)
    sam_page.set_viewport_size(DESKTOP)
    ana_page = sign_in(server, ana)

    sam_page.goto(f"{server.url}/automation/new/")
    build_urgent_ticket_rule(sam_page, ana["id"])
    shoot(sam_page, "builder-desktop")
    sam_page.get_by_role("button", name="Save", exact=True).click()
    expect(sam_page.locator(".page-title")).to_have_text("Urgent tickets to Ana")
    expect(sam_page.locator(".rule-words")).to_contain_text("Ticket priority is Urgent")
    rule_url = sam_page.url
    open_live(sam_page, rule_url)
    expect(sam_page.locator(".run-empty")).to_be_visible()

    open_live(ana_page, f"{server.url}/")
    expect(ana_page.locator("#notification-count")).to_be_hidden()
    sam_list = sign_in(server, sam)  # the rules list, open in another tab
    open_live(sam_list, f"{server.url}/automation/")

    run_script(URGENT_TICKET, sam["id"])  # elsewhere: the pages only hear of it

    expect(ana_page.locator("#notification-count")).to_have_text(
        re.compile(r"^\s*1\b"), timeout=15_000
    )
    expect(ana_page.locator("#bell-list .notification").first).to_contain_text(
        "Urgent ticket: Servers down"
    )
    run = sam_page.locator(".run-row").first
    expect(run).to_contain_text("Done", timeout=15_000)
    expect(run).to_contain_text("Ticket: Servers down")
    expect(run).to_contain_text("Ticket priority is Urgent")
    expect(run).to_contain_text("Ana Agent")
    expect(sam_page.locator(".run-empty")).to_be_hidden()
    shoot(sam_page, "runlog-desktop")

    # Switched off on its page: the list's row is drawn again live — and its forms still
    # post (a row rendered for every viewer gets the page's CSRF token on submit).
    expect(sam_list.locator(".rule-row").first).to_contain_text("Done")
    sam_page.get_by_role("button", name="Switch off").click()
    expect(sam_list.locator(".rule-row input[role=switch]").first).not_to_be_checked()
    sam_list.get_by_role("button", name="Move “Urgent tickets to Ana” up").click()
    expect(sam_list.locator(".rule-row").first).to_contain_text("Urgent tickets to Ana")
    sam_page.get_by_role("button", name="Switch on").click()
    expect(sam_list.locator(".rule-row input[role=switch]").first).to_be_checked()

    # The dry run tells what the rule would do now with that ticket, doing nothing.
    sam_page.get_by_role("link", name="Run the test").click()
    expect(sam_page.locator("#dry-run .dry-row").first).to_contain_text("Would act")
    sam_page.goto(f"{server.url}/automation/")  # the list shows the rule's last run
    expect(sam_page.locator(".rule-row").first).to_contain_text("Done")

    phone = new_context(
        viewport=PHONE, timezone_id="America/New_York", locale="en-US", is_mobile=True
    )
    session = sam["cookie"].split("=", 1)[1]
    phone.add_cookies([{"name": "sessionid", "value": session, "url": server.url}])
    phone_page = phone.new_page()
    phone_page.goto(rule_url)
    expect(phone_page.locator(".run-row").first).to_contain_text("Done")
    shoot(phone_page, "runlog-phone")
    phone_page.goto(f"{server.url}/automation/new/")
    build_urgent_ticket_rule(phone_page, ana["id"])
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(phone_page, "builder-phone")
    phone.close()
    assert browser_problems == []
