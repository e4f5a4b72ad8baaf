"""An organizer invites a colleague whose calendar is open: the event shows up there, at
the right time of the colleague's zone, without a reload, and the bell counts it. Then
the organizer drags it to another hour in her own calendar, and his follows."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

WEEK = "view=timeGridWeek&date=2099-01-12"  # a Monday; both people are in Europe/Berlin

INVITE = """
from datetime import datetime
from zoneinfo import ZoneInfo
from calendar_app import services as calendar
ada, ben = (User.objects.get(pk=int(pk)) for pk in sys.argv[1:3])
start = datetime(2099, 1, 13, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
event = calendar.create_event(
    actor=ada, title="Renewal kick-off", start=start, end=start.replace(hour=11), attendees=[ben]
)
print(json.dumps({"id": event.pk}))
"""


def settled_box(page, locator) -> dict:
    """The element's box, once it has one: FullCalendar replaces its event elements when
    it fetches again (as the socket connects), so one seen a moment ago may be gone."""
    for _ in range(60):
        if box := locator.bounding_box():
            return box
        page.wait_for_timeout(50)
    raise AssertionError("the event never settled in the calendar")


def test_an_invitation_appears_in_the_open_calendar_and_follows_a_drag(
    serve, server_db, sign_in, open_live, run_script, browser_problems
):
    server = serve()
    ada = server_db.run("user", "Ada Organizer")
    ben = server_db.run("user", "Ben Member")
    ben_page = sign_in(server, ben)  # a browser in New York time; his profile says Berlin
    ada_page = sign_in(server, ada)
    open_live(ben_page, f"{server.url}/calendar/?{WEEK}")
    expect(ben_page.locator(".fc-timegrid")).to_be_visible()
    ben_page.evaluate("window.notReloaded = true")

    run_script(INVITE, ada["id"], ben["id"])

    # Within a few seconds, in Ben's open calendar: Tuesday, 10:00 Berlin (not New York).
    event = ben_page.locator(".fc-event", has_text="Renewal kick-off")
    expect(event).to_be_visible(timeout=5_000)
    expect(event).to_contain_text("10a")
    expect(event).to_have_class(re.compile(r"\bis-needs-action\b"))
    tuesday = ben_page.locator('td.fc-timegrid-col[data-date="2099-01-13"]')
    assert tuesday.locator(".fc-event", has_text="Renewal kick-off").count() == 1
    expect(ben_page.locator("#notification-count")).to_have_text(re.compile(r"^\s*1\b"))

    # Ada drags it two hours later in her calendar; Ben's moves too.
    open_live(ada_page, f"{server.url}/calendar/?{WEEK}")
    own = ada_page.locator(".fc-event", has_text="Renewal kick-off")
    expect(own).to_be_visible()
    box = settled_box(ada_page, own)
    slot = ada_page.locator('td.fc-timegrid-slot-lane[data-time="10:00:00"]').bounding_box()
    noon = ada_page.locator('td.fc-timegrid-slot-lane[data-time="12:00:00"]').bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + 8
    ada_page.mouse.move(x, y)
    ada_page.mouse.down()
    ada_page.mouse.move(x, y + 10, steps=3)
    ada_page.mouse.move(x, y + noon["y"] - slot["y"], steps=12)
    ada_page.mouse.up()

    at_noon = re.compile(r"12p\s*Renewal kick-off")
    expect(ada_page.locator(".fc-event", has_text=at_noon)).to_be_visible()
    expect(own).to_have_count(1)
    expect(ben_page.locator(".fc-event", has_text=at_noon)).to_be_visible(timeout=5_000)
    expect(event).to_have_count(1)

    # Too long offline for a replay (live.js asks "live:resync"): the calendar re-reads its
    # feed instead of reloading the page.
    resync = (
        "!document.dispatchEvent(new CustomEvent('live:resync', "
        f"{{detail: {{topic: 'calendar.{ben['id']}'}}, cancelable: true}}))"
    )
    with ben_page.expect_response(lambda response: "/calendar/events.json" in response.url):
        assert ben_page.evaluate(resync) is True
    assert ben_page.evaluate("window.notReloaded") is True
    assert browser_problems == []
