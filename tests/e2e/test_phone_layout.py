"""Phones (issue 13): no main page scrolls sideways at 390 px, and what a finger taps is big.

The demo company is seeded once, with the long names real books have on top (a client's
name, a ticket's subject, a deal's title, an owner's name), and one signed-in page opens
every main page at 390 x 844 and measures it there and again widened to 1280 x 800. A page
fails when the document is wider than the window; the message names the elements sticking
out, widest first.
"""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
MIN_TARGET = 40  # px, a finger

LONG_BOOK = """
import importlib
from io import StringIO

from django.apps import apps
from django.core.management import call_command

from accounts.models import Department
from chat.models import Room
from tests.live_helpers import session_cookie

importlib.import_module("records.migrations.0002_seed_defaults").seed(apps, None)
call_command("seed_demo", allow_production=True, stdout=StringIO())
alex = User.objects.get(email="alex@northwind.example")
omar = User.objects.get(email="omar@northwind.example")
sales, management = (Department.objects.get(slug=slug) for slug in ("sales", "management"))
owner = User.objects.create_user(
    email="maximiliana@northwind.example",
    full_name="Maximiliana Alexandrova-Papadopoulou",
    job_title="Senior Enterprise Account Executive",
)
owner.departments.add(sales)
client = services.create_client(
    actor=alex,
    name="Konstantinopoulos-Vanderbilt International Logistics & Warehousing Holdings GmbH",
    owner=owner,
    department=sales,
    domain="konstantinopoulos-vanderbilt-logistics.example",
    tags=["enterprise", "logistics", "strategic-account", "renewal-2026"],
)
ticket = services.create_ticket(
    actor=alex,
    client=client,
    subject="Invoices exported to the accounting system since the March upgrade show the "
    "wrong VAT rate for deliveries to Northern Ireland and the Channel Islands",
    assignee=omar,
)
deal = services.create_deal(
    actor=alex,
    client=client,
    title="Multi-year warehouse automation rollout for all seven European distribution centres",
    amount=1250000,
    owner=owner,
)
task = services.create_task(
    actor=alex,
    title="Call Maximiliana's contact about the VAT correction and the rollout timeline",
    assignee=alex,
    target=client,
)
note = "Their finance director escalated the VAT export problem; call before the renewal."
handoff = services.hand_off(
    actor=omar, client=client, note=note, to_department=management, ticket=ticket
)
answered = services.hand_off(actor=omar, client=client, note=note, to_department=sales, deal=deal)
services.accept_handoff(actor=alex, handoff=answered)
room = Room.objects.filter(memberships__user=alex).order_by("pk").first()
print(json.dumps({
    "alex": {"id": alex.pk, "cookie": session_cookie(alex)},
    "omar": {"id": omar.pk, "cookie": session_cookie(omar)},
    "client": client.pk, "ticket": ticket.pk, "deal": deal.pk, "task": task.pk,
    "handoff": handoff.pk, "room": room.pk, "owner": owner.pk,
}))
"""

# The document's overflow, and the elements sticking out of the window: outermost first
# (an element whose parent fits), not clipped by a scrolling or hidden-overflow ancestor,
# not fixed (an off-canvas panel waiting off screen does not widen the page).
OVERFLOW = """() => {
  const root = document.documentElement, limit = root.clientWidth;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + [...el.classList].slice(0, 3).map((c) => "." + c).join("");
  const hidden = (el) => {
    for (let node = el; node && node !== root; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.position === "fixed" || (node !== el && style.overflowX !== "visible")) return true;
    }
    return false;
  };
  const right = (el) => el.getBoundingClientRect().right;
  const sticks = (el) => right(el) > limit + 0.5 && !hidden(el);
  const offenders = [...document.body.querySelectorAll("*")]
    .filter((el) => sticks(el) && !(el.parentElement !== document.body && sticks(el.parentElement)))
    .sort((a, b) => right(b) - right(a))
    .slice(0, 3)
    .map((el) => `${name(el)} in ${name(el.parentElement)} reaches ${Math.round(right(el))} px`);
  return {scrollWidth: root.scrollWidth, clientWidth: limit, offenders};
}"""

SIZES = """(selector) => [...document.querySelectorAll(selector)]
  .filter((el) => el.offsetParent !== null)
  .map((el) => {
    const box = el.getBoundingClientRect();
    const name = (el.getAttribute("aria-label") || el.textContent).trim().replace(/\\s+/g, " ");
    return {name, width: box.width, height: box.height, top: box.top};
  })"""


BUSY = "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"


def main_pages(book: dict) -> dict[str, str]:
    return {
        "home": "/",
        "client list": "/clients/",
        "client page": f"/clients/{book['client']}/",
        "contact list": "/contacts/",
        "deal list": "/deals/",
        "board": "/pipeline/",
        "deal page": f"/deals/{book['deal']}/",
        "ticket list": "/tickets/",
        "ticket page": f"/tickets/{book['ticket']}/",
        "my tasks": "/tasks/",
        "team tasks": "/tasks/team/",
        "task page": f"/tasks/{book['task']}/",
        "handoffs (incoming)": "/handoffs/",
        "handoffs (answered)": "/handoffs/?tab=answered",
        "handoff page": f"/handoffs/{book['handoff']}/",
        "chat home": "/chat/",
        "chat room": f"/chat/rooms/{book['room']}/",
        "calendar": "/calendar/",
        "notifications": "/notifications/",
        "profile": "/profile/",
        "team": "/team/",
        "person": f"/team/people/{book['owner']}/",
        "search results": "/search/?q=Konstantinopoulos",
        "history": f"/history/client/{book['client']}/",
        "reports": "/reports/",
        # The reports with the widest tables (the others share their template).
        **{
            f"report {slug}": f"/reports/{slug}/"
            for slug in ("sales-funnel", "sales-stuck", "support-agents", "health-at-risk")
        },
    }


def visit(page, url: str) -> None:
    """Open ``url`` and wait for the fragments htmx loads with it (hx-trigger="load")."""
    page.goto(url)
    page.wait_for_function(BUSY)


def overflow(page, name: str, path: str) -> list[str]:
    """[] if the document fits the window, else what sticks out."""
    answer = page.evaluate(OVERFLOW)
    if answer["scrollWidth"] <= answer["clientWidth"]:
        return []
    return [
        f"{name} ({path}): {answer['scrollWidth']} px wide in a {answer['clientWidth']} px "
        "window; " + "; ".join(answer["offenders"])
    ]


def too_small(page, selector: str) -> list[str]:
    """The first of what ``selector`` matches that is narrower or lower than a finger."""
    sizes = page.evaluate(SIZES, selector)
    assert sizes, f"nothing matches {selector}"
    small = [size for size in sizes if min(size["width"], size["height"]) < MIN_TARGET]
    return [
        f"{selector} {size['name']!r}: {size['width']:.0f} x {size['height']:.0f} px"
        + (f" (and {len(small) - 1} more like it)" if len(small) > 1 else "")
        for size in small[:1]
    ]


def check_phone_targets(page, server, book: dict) -> list[str]:
    """The targets issue 13 names are finger-sized, and the header, list and tabs fit."""
    problems = []

    visit(page, f"{server.url}/pipeline/")
    problems += too_small(page, "#board .deal-card-move")

    visit(page, f"{server.url}/clients/{book['client']}/")
    expect(page.locator(".record-head .presence-people .avatar")).to_be_visible()
    actions = ".record-actions > .btn, .record-actions > .dropdown > .btn"
    problems += too_small(page, actions)
    rows = {round(size["top"]) for size in page.evaluate(SIZES, actions)}
    if len(rows) != 1:
        problems.append(f"the client header's actions wrap onto {len(rows)} lines")
    if (
        not page.locator(".record-actions")
        .get_by_role("link", name="Schedule meeting")
        .is_visible()
    ):
        problems.append("the client header hides the Meeting button")
    owner = page.locator(".record-meta .field-as-person > span:last-child")
    if owner.evaluate("(el) => el.scrollWidth > el.clientWidth"):
        problems.append("the client header cuts the owner's name")

    visit(page, f"{server.url}/tickets/")
    subject = page.locator(f"#ticket-row-{book['ticket']} .row-title strong")
    if subject.evaluate(
        "(el) => el.offsetHeight > 1.5 * parseFloat(getComputedStyle(el).lineHeight)"
    ):
        problems.append("a long ticket subject takes more than one line in the list")
    if not subject.get_attribute("title").startswith("Invoices exported"):
        problems.append("a shortened ticket subject has no title with the whole subject")

    for tab in ("incoming", "answered"):
        visit(page, f"{server.url}/handoffs/?tab={tab}")
        problems += too_small(page, ".handoff-tab")
        if page.locator(".handoff-tabs").evaluate("(el) => el.scrollWidth > el.clientWidth"):
            problems.append(f"a handoff tab is cut off at the right edge (tab={tab})")
    return problems


def test_no_page_scrolls_sideways_on_a_phone_and_targets_fit_a_finger(serve, run_script, sign_in):
    server = serve()
    book = run_script(LONG_BOOK)
    # Someone else on the client's page, so its header shows "Also here".
    sign_in(server, book["omar"]).goto(f"{server.url}/clients/{book['client']}/")
    page = sign_in(server, book["alex"])

    on_phone, on_desktop = [], []
    for name, path in main_pages(book).items():  # each page opened once, measured at both sizes
        page.set_viewport_size(PHONE)
        visit(page, server.url + path)
        on_phone += overflow(page, name, path)
        page.set_viewport_size(DESKTOP)
        on_desktop += overflow(page, name, path)
    assert not on_phone, "Pages wider than a 390 px phone:\n" + "\n".join(on_phone)
    assert not on_desktop, "Pages wider than a 1280 px window:\n" + "\n".join(on_desktop)

    page.set_viewport_size(PHONE)
    targets = check_phone_targets(page, server, book)
    assert not targets, "On a 390 px phone:\n" + "\n".join(targets)
