"""The top bar's search in a real browser (headless Chromium): it asks once a person
pauses, not at every key, and an answer to an older query never replaces a newer one.

The page's clock is Playwright's fake one, paused: "a key every 250 ms" is exact
whatever the machine's load. The server and the network are real.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (  # noqa: F401 (fixtures)
    browser_problems,
    chromium,
    new_context,
    sign_in,
)
from tests.servers import migrated_sqlite, serve, server_db  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

MENU = "#topbar-search-results"
# Only the search's answers: the page's other htmx requests (the chat sidebar, the home
# cards) may finish late on a loaded machine and must not count.
ANSWERS_COUNTED = """() => document.addEventListener("htmx:afterRequest", (event) => {
  const path = (event.detail.pathInfo || {}).requestPath || "";
  if (path.startsWith("/search/")) window.searchAnswers = (window.searchAnswers || 0) + 1;
})"""


def _query(request) -> str:
    return parse_qs(urlsplit(request.url).query).get("q", [""])[0]


def _searches(page) -> list[str]:
    """The queries the page asks the search for, in order (filled in as it asks)."""
    asked = []
    page.on("request", lambda r: urlsplit(r.url).path == "/search/" and asked.append(_query(r)))
    return asked


def _type(page, text: str, *, every_ms: int) -> None:
    box = page.get_by_role("searchbox", name="Search", exact=True)
    box.focus()
    for key in text:
        page.keyboard.type(key)
        page.clock.run_for(every_ms)


@pytest.fixture
def top_bar(serve, server_db, sign_in):  # noqa: F811 (the fixtures imported above)
    """A signed-in home page with the page's clock under the test's control."""
    server = serve()
    page = sign_in(server, server_db.run("user", "Ben Member"))
    page.clock.install()
    page.goto(f"{server.url}/")
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)  # time moves only when told
    return page


@pytest.mark.parametrize("every_ms", [80, 250])
def test_one_request_when_the_person_pauses(top_bar, every_ms, browser_problems):  # noqa: F811
    asked = _searches(top_bar)
    _type(top_bar, "skyward", every_ms=every_ms)
    top_bar.clock.run_for(1000)
    expect(top_bar.locator(MENU)).to_contain_text("All results for “skyward”")
    assert asked == ["skyward"]
    assert browser_problems == []


def test_an_answer_for_older_text_is_dropped(top_bar, browser_problems):  # noqa: F811
    """ "sky" is answered after the person typed on to "skyward": that answer is not shown."""
    held = {}
    top_bar.route("**/search/?*", lambda route: held.setdefault(_query(route.request), route))
    menu = top_bar.locator(MENU)
    with top_bar.expect_request("**/search/?q=sky"):
        _type(top_bar, "sky", every_ms=50)
        top_bar.clock.run_for(400)
    _type(top_bar, "ward", every_ms=50)
    top_bar.clock.run_for(400)  # asked while "sky" is still out: queued behind it

    top_bar.evaluate(ANSWERS_COUNTED)
    with top_bar.expect_request("**/search/?q=skyward"):
        held["sky"].continue_()
    top_bar.wait_for_function("() => window.searchAnswers === 1")
    expect(menu).to_be_empty()  # the answer for "sky" came, and was dropped
    held["skyward"].continue_()
    expect(menu).to_contain_text("All results for “skyward”")
    assert browser_problems == []
