"""A web form submitted by an anonymous visitor makes the lead appear live: as a new row
in a salesperson's open client list, and under the routed owner's bell — no reload."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

BUILD_FORM = """
from marketing.models import RoutingRule
from marketing.services.forms import create_form
marketer, owner = (User.objects.get(pk=int(pk)) for pk in sys.argv[1:3])
form = create_form(
    actor=marketer,
    name="Demo request",
    title="Book a demo",
    department=owner.departments.get(),
    fallback_owner=marketer,
    fields=[
        {"maps_to": "contact.name", "label": "Your name", "required": True},
        {"maps_to": "contact.email", "label": "Work email", "required": True},
        {"maps_to": "client.name", "label": "Company", "required": True},
        {"maps_to": "client.country", "label": "Country", "required": False},
        {"maps_to": "message", "label": "Message", "required": False},
    ],
    rules=[{"kind": RoutingRule.Kind.COUNTRY, "value": "DE", "owner": owner}],
    consent_text="Send me product news.",
)
print(json.dumps({"key": str(form.key)}))
"""


def test_a_submitted_form_shows_up_live_for_sales_and_the_routed_owner(
    serve, server_db, sign_in, open_live, run_script, new_context, browser_problems
):
    server = serve()
    mia = server_db.run("user", "Mia Marketing", "--department", "Marketing")
    olga = server_db.run("user", "Olga Owner")
    sam = server_db.run("user", "Sam Sales")
    key = run_script(BUILD_FORM, mia["id"], olga["id"])["key"]

    sales_page = sign_in(server, sam)
    owner_page = sign_in(server, olga)
    open_live(sales_page, f"{server.url}/clients/")
    open_live(owner_page, f"{server.url}/")
    expect(owner_page.locator("#notification-count")).to_be_hidden()
    for page in (sales_page, owner_page):
        page.evaluate("window.notReloaded = true")

    visitor = new_context().new_page()
    visitor.goto(f"{server.url}/marketing/f/{key}/?utm_source=newsletter&utm_medium=email")
    visitor.get_by_label("Your name").fill("Rita <b>Lead</b>")
    visitor.get_by_label("Work email").fill("rita@globex.example")
    visitor.get_by_label("Company").fill("Globex Corporation")
    visitor.get_by_label("Country").select_option("DE")
    visitor.get_by_label("Message").fill("We need 40 seats <script>alert(1)</script>")
    visitor.get_by_label("Send me product news.").check()
    visitor.get_by_role("button", name="Send").click()
    expect(visitor.get_by_role("status")).to_contain_text("Thank you")

    row = sales_page.locator("[id^=client-row-]", has_text="Globex Corporation")
    expect(row).to_be_visible()
    expect(owner_page.locator("#notification-count")).to_have_text(re.compile(r"^\s*1\b"))
    item = owner_page.locator("#bell-list .notification").first
    expect(item).to_contain_text("web form Demo request: Rita <b>Lead</b> at Globex Corporation")
    for page in (sales_page, owner_page):
        assert page.evaluate("window.notReloaded") is True
    assert browser_problems == []
