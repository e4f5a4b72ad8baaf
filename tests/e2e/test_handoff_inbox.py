"""The handoffs inbox follows along: a new handoff raises the Incoming count live, and
accepting one (while the socket redraws its card) counts down without a console error."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

HAND_OFF = """
from accounts.models import Department
sender = User.objects.get(pk=int(sys.argv[1]))
client = services.create_client(actor=sender, name=sys.argv[2])
sales = Department.objects.get(slug="sales")
handoff = services.hand_off(actor=sender, client=client, to_department=sales, note="Wants a quote.")
print(json.dumps({"id": handoff.pk}))
"""


def test_the_incoming_count_is_live_and_accepting_is_quiet(
    serve, server_db, run_script, sign_in, open_live, browser_problems
):
    server = serve()
    sam = server_db.run("user", "Sam Manager", "--role", "manager", "--department", "Sales")
    ana = server_db.run("user", "Ana Support", "--department", "Support")
    run_script(HAND_OFF, ana["id"], "Initech")
    page = sign_in(server, sam)
    open_live(page, f"{server.url}/handoffs/")
    count = page.locator("#handoff-incoming-count")
    expect(count).to_have_text("1")

    run_script(HAND_OFF, ana["id"], "Globex")  # another process: the page only hears of it
    expect(count).to_have_text("2")
    expect(page.locator("[id^=handoff-in-]")).to_have_count(2)

    page.locator("[id^=handoff-in-]").first.get_by_role("button", name="Accept").click()
    expect(count).to_have_text("1")
    expect(page.locator("[id^=handoff-in-]")).to_have_count(1)
    page.wait_for_timeout(500)  # the socket's copy of the answer comes too
    assert browser_problems == []
