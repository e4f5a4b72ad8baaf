import os
import re

import pytest

from tests.servers import ROOT, migrated_sqlite, serve, server_db  # noqa: F401 (fixtures)


@pytest.fixture(scope="module")
def chromium(django_db_setup):
    """Debian's Chromium, headless (Playwright cannot download its own here).

    Playwright's sync API keeps an event loop in this thread, which makes
    Django refuse database calls (the test database's flush) as "async";
    they are not, so that check is off while the browser is (this module only).
    """
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                headless=True,
                args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
            )
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def browser_problems() -> list[str]:
    """The console errors and uncaught exceptions of every page ``sign_in`` opened."""
    return []


@pytest.fixture
def new_context(chromium):
    """``new_context(**options)``: a browser context closed with the test: a page left
    open would keep its socket (and its timers) on a server the next test may be given
    (tests/servers.py keeps them)."""
    contexts = []

    def make(**options):
        contexts.append(chromium.new_context(**options))
        return contexts[-1]

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def sign_in(new_context, browser_problems):
    """``sign_in(server, person)``: a page in a browser of its own (New York time,
    US English), signed in as ``person`` (a serverctl "user" answer)."""

    def signed_in_page(server, person):
        context = new_context(timezone_id="America/New_York", locale="en-US")
        session = person["cookie"].split("=", 1)[1]
        context.add_cookies([{"name": "sessionid", "value": session, "url": server.url}])
        page = context.new_page()
        page.on(
            "console",
            lambda message: message.type == "error" and browser_problems.append(message.text),
        )
        page.on("pageerror", lambda error: browser_problems.append(str(error)))
        return page

    return signed_in_page


@pytest.fixture
def open_live():
    """``open_live(page, url)``: go to ``url`` and wait until its live socket is up."""
    from playwright.sync_api import expect

    def go(page, url: str) -> None:
        page.goto(url)
        expect(page.locator("body")).to_have_class(re.compile(r"\blive-online\b"))

    return go


@pytest.fixture
def run_script(server_db):  # noqa: F811 (the fixture imported above)
    """``run_script(code, *args)``: run Python ``code`` (with Django set up, ``User`` and
    ``services`` imported, ``args`` in ``sys.argv[1:]``) against the servers' database;
    returns the JSON its last line printed."""
    return server_db.run_code


OPEN_TICKET = """
support = User.objects.get(pk=int(sys.argv[1]))
client = services.create_client(actor=support, name="Initech", domain="initech.example")
ticket = services.create_ticket(actor=support, client=client, subject="TPS reports vanish")
print(json.dumps({"id": ticket.pk}))
"""


@pytest.fixture
def open_ticket(run_script):
    """``open_ticket(person)``: a new client "Initech" and a ticket "TPS reports vanish"
    for it, both by ``person`` (support); returns the ticket's id."""
    return lambda person: run_script(OPEN_TICKET, person["id"])["id"]
