"""A call rings for an agent: their open tab pops the caller's card live, from the signed
webhook posted to the real server (as the phone system would), and the card goes when the
call ends. An unknown number offers to create the contact. At 1280 px and 390 px.

Screenshots are left in the test's tmp_path (``call-pop-known-desktop.png``,
``call-pop-unknown-phone.png``…); run with ``--basetemp`` to keep them for docs/screenshots/.
"""

import json
import urllib.request

import pytest
from playwright.sync_api import expect

from integrations.telephony import signing

pytestmark = pytest.mark.browser

SECRET = "e2e-telephony-secret"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"

# The agent on extension 201; Acme, a customer, with Jo on +49 30 1234567, a deal and a ticket.
ACME_WITH_JO = """
from decimal import Decimal
agent = User.objects.get(pk=int(sys.argv[1]))
agent.phone_extension = "201"
agent.save(update_fields=["phone_extension"])
acme = services.create_client(actor=agent, name="Acme GmbH", domain="acme.example",
                              lifecycle="customer", phone="030 1234500")
services.create_contact(actor=agent, client=acme, name="Jo Acme", title="Head of purchasing",
                        phones=["030 1234567"])
services.create_deal(actor=agent, client=acme, title="Rollout 2027", amount=Decimal(24000))
services.create_ticket(actor=agent, client=acme, subject="Invoice address wrong")
services.post_comment(actor=agent, target=acme, body="Wants the offer before Friday.")
print(json.dumps({"client": acme.pk}))
"""


def post_event(server, kind: str, call_id: str, number: str) -> dict:
    body = json.dumps(
        {
            "provider": "asterisk",
            "call_id": call_id,
            "event": kind,
            "direction": "inbound",
            "from": number,
            "to": "+49 30 9999000",
            "agent": "201",
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 (the test's own server)
        f"{server.url}/integrations/calls/events/",
        data=body,
        headers={
            "Content-Type": "application/json",
            signing.HEADER: signing.header_value(body, SECRET),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


def test_a_ringing_call_pops_the_callers_card_in_the_agents_tab(
    serve, server_db, run_script, sign_in, open_live, browser_problems, tmp_path
):
    server = serve(TELEPHONY_WEBHOOK_SECRET=SECRET, PHONE_DEFAULT_REGION="DE")
    agent = server_db.run("user", "Ada Agent")
    acme = run_script(ACME_WITH_JO, agent["id"])
    page = sign_in(server, agent)
    for name, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        open_live(page, f"{server.url}/")
        page.evaluate("window.notReloaded = true")
        pop = page.locator("#call-pop")

        post_event(server, "ringing", f"known-{name}", "+49 30 1234567")
        card = pop.locator(".call-card")
        expect(card).to_contain_text("Acme GmbH")
        expect(card).to_contain_text("Jo Acme, Head of purchasing")
        expect(card).to_contain_text("+49 30 1234567")
        expect(card).to_contain_text("Customer")
        expect(card.locator(".call-facts")).to_contain_text("Open deals1")
        expect(card.get_by_role("link", name="Open Acme GmbH")).to_have_attribute(
            "href", f"/clients/{acme['client']}/"
        )
        assert page.evaluate(OVERFLOW) <= 0, f"the card scrolls sideways on the {name}"
        page.screenshot(path=tmp_path / f"call-pop-known-{name}.png")

        post_event(server, "answered", f"known-{name}", "+49 30 1234567")
        expect(card).to_contain_text("On the line")
        post_event(server, "ended", f"known-{name}", "+49 30 1234567")
        expect(card).to_have_count(0)

        post_event(server, "ringing", f"unknown-{name}", "0171 5550123")
        card = pop.locator(".call-card")
        expect(card).to_contain_text("Unknown number +49 171 5550123")
        page.screenshot(path=tmp_path / f"call-pop-unknown-{name}.png")
        card.get_by_role("button", name="Close").click()
        expect(card).to_have_count(0)
        # Over for the phone system too (a page opened right after replays the last seconds
        # of its feed, workspace/live/replay.py: a card still ringing would follow the agent).
        post_event(server, "missed", f"unknown-{name}", "0171 5550123")
        assert page.evaluate("window.notReloaded") is True

    post_event(server, "ringing", "unknown-create", "0171 5550123")
    page.locator("#call-pop").get_by_role("link", name="Create contact").click()
    expect(page.get_by_label("Phone")).to_have_value("+491715550123")
    assert browser_problems == []
