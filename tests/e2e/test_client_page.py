"""Two people on one client page in two browsers: an edit and a comment arrive live,
each sees the other's avatar, and editing the same field gives the second a conflict."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.backend]

CREATE_CLIENT = """
owner = User.objects.get(pk=int(sys.argv[1]))
client = services.create_client(actor=owner, name="Globex", domain="globex.example")
print(json.dumps({"id": client.pk}))
"""


def edit(page, pk: int, field: str, value: str):
    # The pencil: a value that is a link (a website, an email) opens when clicked.
    page.locator(f"#field-client-{pk}-{field} .field-pencil").click()
    box = page.locator(f"#field-client-{pk}-{field} [name=value]")
    expect(box).to_be_focused()
    box.fill(value)
    return box


def test_two_people_on_one_client_page(
    serve, server_db, run_script, sign_in, open_live, browser_problems
):
    server = serve()
    ada = server_db.run("user", "Ada Admin", "--role", "admin")
    ben = server_db.run("user", "Ben Member")
    pk = run_script(CREATE_CLIENT, ada["id"])["id"]
    ada_page = sign_in(server, ada)
    ben_page = sign_in(server, ben)
    open_live(ada_page, f"{server.url}/clients/{pk}/")
    open_live(ben_page, f"{server.url}/clients/{pk}/")
    ben_page.evaluate("window.notReloaded = true")

    # Each sees the other (and not themselves) among the viewers.
    expect(ben_page.locator("[data-live-presence] .avatar")).to_have_count(1)
    expect(ben_page.locator("[data-live-presence] .avatar")).to_have_attribute("title", "Ada Admin")

    # Ada edits a field (Enter saves) and comments; Ben sees both without a reload.
    edit(ada_page, pk, "industry", "Robotics").press("Enter")
    expect(ada_page.locator(f"#field-client-{pk}-industry-value")).to_have_text("Robotics")
    expect(ben_page.locator(f"#field-client-{pk}-industry-value")).to_have_text("Robotics")
    ada_page.locator(f"#comments-client-{pk}-form textarea").fill("Renewal call **Friday**")
    ada_page.get_by_role("button", name="Comment", exact=True).click()
    comment = ben_page.locator(f"#comments-client-{pk}-list .comment-body")
    expect(comment).to_have_text("Renewal call Friday")
    expect(ben_page.locator(f"#timeline-{pk}-entries")).to_contain_text("Ada Admin commented")
    expect(ada_page.locator(f"#comments-client-{pk}-form textarea")).to_have_value("")
    assert ben_page.evaluate("window.notReloaded") is True

    # Ben answers with a mention picked from the suggestions; Ada sees it as a chip.
    box = ben_page.locator(f"#comments-client-{pk}-form textarea")
    box.press_sequentially("Thanks @Ad")
    expect(ben_page.locator(".mention-menu li.active")).to_contain_text("Ada Admin")
    box.press("Enter")
    expect(box).to_have_value("Thanks @Ada Admin ")
    box.press("Control+Enter")
    expect(ada_page.locator(".comment-body .mention")).to_have_text("@Ada Admin")

    # Escape leaves an editor without saving.
    edit(ben_page, pk, "industry", "Nothing").press("Escape")
    expect(ben_page.locator(f"#field-client-{pk}-industry-value")).to_have_text("Robotics")

    # Both open the domain editor; Ada saves first, Ben's save is refused with her value.
    edit(ben_page, pk, "domain", "ben.example")
    edit(ada_page, pk, "domain", "ada.example").press("Enter")
    expect(ada_page.locator(f"#field-client-{pk}-domain-value")).to_have_text("ada.example")
    ben_page.locator(f"#field-client-{pk}-domain [name=value]").press("Enter")
    conflict = ben_page.locator(f"#field-client-{pk}-domain .field-conflict")
    expect(conflict).to_contain_text("Ada Admin changed Domain to ada.example")
    # Ben re-applies his value on purpose; Ada sees it live.
    conflict.get_by_role("button", name="Use mine").click()
    expect(ben_page.locator(f"#field-client-{pk}-domain-value")).to_have_text("ben.example")
    expect(ada_page.locator(f"#field-client-{pk}-domain-value")).to_have_text("ben.example")

    # The refused save is a 409 answer (shown inline); Chromium logs it, nothing else failed.
    assert [text for text in browser_problems if "409 (Conflict)" not in text] == []
