"""Reports are live: a deal won in one browser moves the funnel and the forecast open in
another, and the key numbers on the home page, without a reload."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SETTLED = 8000  # ms: the event, the page's debounce (a few seconds at most) and the refetch

OPEN_DEAL = """
from datetime import date
from decimal import Decimal
seller = User.objects.get(pk=int(sys.argv[1]))
client = services.create_client(actor=seller, name="Globex", domain="globex.example")
deal = services.create_deal(
    actor=seller, client=client, title="Globex rollout", amount=Decimal(5000), currency="EUR",
    expected_close=date.today(),
)
print(json.dumps({"id": deal.pk}))
"""


def cell(page, row: str, column: str):
    """The table cell of ``column`` in the row headed ``row``."""
    body_row = page.locator("#report-body tbody tr").filter(
        has=page.locator("th", has_text=re.compile(rf"^{row}$"))
    )
    return body_row.locator(f'td[data-label="{column}"]')


def test_a_deal_won_in_one_browser_moves_the_funnel_and_forecast_in_another(
    serve, server_db, run_script, sign_in, open_live, browser_problems
):
    server = serve()
    ada = server_db.run("user", "Ada Admin", "--role", "admin")
    ben = server_db.run("user", "Ben Member")
    deal = run_script(OPEN_DEAL, ben["id"])["id"]

    funnel, forecast, home = sign_in(server, ada), sign_in(server, ada), sign_in(server, ada)
    open_live(funnel, f"{server.url}/reports/sales-funnel/?period=this_month")
    open_live(forecast, f"{server.url}/reports/sales-forecast/?period=this_month")
    open_live(home, f"{server.url}/")
    open_deals = home.locator('#key-numbers a[href*="/deals/"] strong')
    expect(open_deals).to_have_text("1")
    expect(cell(funnel, "Won", "Deals that reached it")).to_have_text("0")
    expect(forecast.locator('#report-body tbody td[data-label="Open deals"]')).to_have_text("1")
    expect(forecast.locator('#report-body tbody td[data-label="Won that month"]')).to_have_text(
        "€0"
    )

    seller = sign_in(server, ben)
    seller.goto(f"{server.url}/deals/{deal}/")
    seller.get_by_role("button", name="Won").click()

    expect(cell(funnel, "Won", "Deals that reached it")).to_have_text("1", timeout=SETTLED)
    expect(forecast.locator('#report-body tbody td[data-label="Won that month"]')).to_have_text(
        "€5,000", timeout=SETTLED
    )
    expect(forecast.locator('#report-body tbody td[data-label="Open deals"]')).to_have_text("0")
    expect(open_deals).to_have_text("0", timeout=SETTLED)
    # Drawn again from the new numbers, and nothing went wrong on the way.
    expect(funnel.locator("#report-chart")).to_be_visible()
    assert browser_problems == []
