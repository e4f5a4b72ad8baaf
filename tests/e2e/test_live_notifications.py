"""Two people, two browsers, one real server: a notification arrives live, and
a page whose socket dies recovers and catches up without a reload."""

import re

import pytest
from playwright.sync_api import expect

from tests.servers import Server

pytestmark = pytest.mark.browser


def test_notification_arrives_live_and_survives_a_dead_socket(
    serve, server_db, sign_in, browser_problems
):
    server = serve()
    ada = server_db.run("user", "Ada Admin", "--role", "admin")
    ben = server_db.run("user", "Ben Member")
    ada_page = sign_in(server, ada)
    ben_page = sign_in(server, ben)

    ben_page.goto(f"{server.url}/")
    expect(ben_page.locator("body")).to_have_class(re.compile(r"\blive-online\b"))
    expect(ben_page.locator("#notification-count")).to_be_hidden()
    ben_page.evaluate("window.notReloaded = true")

    # Ada makes Ben a manager; Ben's open page shows it without a reload.
    ada_page.goto(f"{server.url}/team/people/{ben['id']}/")
    ada_page.get_by_label("Role").select_option("manager")
    ada_page.get_by_role("button", name="Save access").click()
    expect(ada_page.get_by_text("Saved")).to_be_visible()

    expect(ben_page.locator("#notification-count")).to_have_text(re.compile(r"^\s*1\b"))
    item = ben_page.locator("#bell-list .notification").first
    expect(item).to_contain_text("Ada Admin made you a Manager.")
    # Rendered once in UTC on the server, shown in Ben's own time by live.js.
    expect(item.locator("time")).not_to_contain_text("UTC")
    ben_page.locator("#notification-bell > a").click()
    expect(item).to_be_visible()

    # The server dies: Ben's socket drops and the page says it is reconnecting.
    server.stop(kill=True)
    expect(ben_page.locator("body")).to_have_class(re.compile(r"\blive-reconnecting\b"))
    expect(ben_page.locator(".live-status")).to_be_visible()

    # Something happens meanwhile (written straight to the database, e.g. by the worker).
    server_db.run("notify", str(ben["id"]), "Ada handed you Acme Ltd", "--actor", str(ada["id"]))

    # The server comes back; the page reconnects, replays what it missed, and recovers.
    revived = Server(server_db, port=server.port).start()
    try:
        expect(ben_page.locator("#notification-count")).to_have_text(
            re.compile(r"^\s*2\b"), timeout=30_000
        )
        expect(ben_page.locator("#bell-list .notification").first).to_contain_text(
            "Ada handed you Acme Ltd"
        )
        expect(ben_page.locator("body")).not_to_have_class(re.compile(r"\blive-reconnecting\b"))
        expect(ben_page.locator(".live-status")).to_be_hidden()
        assert ben_page.evaluate("window.notReloaded") is True

        # Marking read in one tab updates the count live.
        ben_page.locator("#bell-list .notification-mark button").first.click()
        expect(ben_page.locator("#notification-count")).to_have_text(re.compile(r"^\s*1\b"))
    finally:
        revived.stop()

    # The only errors allowed are the refused connections while the server was down.
    unexpected = [
        text
        for text in browser_problems
        if "WebSocket" not in text and "ERR_CONNECTION_REFUSED" not in text
    ]
    assert unexpected == []
