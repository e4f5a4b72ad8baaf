import os

import pytest

from tests.servers import migrated_sqlite, serve, server_db  # noqa: F401 (fixtures)


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
