"""Two people in a client's chat room, in two browsers: messages go both ways over the
socket, each sees the other typing, and the unread and mention badges of the sidebar
follow live on another page, clearing once the room is opened."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.scripts import CLIENT_ROOM

pytestmark = pytest.mark.browser


def send(page, text: str):
    box = page.locator("form[data-chat-composer] [data-chat-input]").first
    box.press_sequentially(text)
    box.press("Enter")
    expect(box).to_have_value("")


def test_two_people_chat_in_a_client_room(
    serve, server_db, run_script, sign_in, open_live, browser_problems
):
    server = serve()
    ada = server_db.run("user", "Ada Admin", "--role", "admin")
    ben = server_db.run("user", "Ben Member")
    ids = run_script(CLIENT_ROOM, ada["id"], ben["id"])
    room_url = f"{server.url}/chat/rooms/{ids['room']}/"
    ada_page = sign_in(server, ada)
    ben_page = sign_in(server, ben)
    open_live(ada_page, room_url)
    open_live(ben_page, room_url)
    ben_page.evaluate("window.notReloaded = true")
    ada_list = ada_page.locator(f"#room-{ids['room']}-messages")
    ben_list = ben_page.locator(f"#room-{ids['room']}-messages")

    # Ada types: Ben sees it; she sends, and both see one copy (the pending one replaced).
    ada_box = ada_page.locator("[data-chat-input]")
    ada_box.press_sequentially("Hello Ben, the renewal is **signed**")
    expect(ben_page.locator(f"#room-{ids['room']}-typing")).to_have_text("Ada is typing…")
    ada_box.press("Enter")
    expect(ben_list.locator(".chat-body strong")).to_have_text("signed")
    expect(ada_list.locator("article.chat-message")).to_have_count(1)
    expect(ada_list.locator("[data-pending]")).to_have_count(0)
    expect(ben_page.locator(f"#room-{ids['room']}-typing")).to_have_text("")

    # Ben answers with Shift+Enter for a second line; Ada sees it below hers.
    ben_box = ben_page.locator("[data-chat-input]")
    ben_box.press_sequentially("Great news!")
    ben_box.press("Shift+Enter")
    ben_box.press_sequentially("I will tell support.")
    ben_box.press("Enter")
    expect(ada_list.locator("article.chat-message").nth(1)).to_contain_text("I will tell support.")
    expect(ada_list.locator("article.chat-message").nth(1)).to_contain_text("Great news!")

    # Ben moves to another page; the sidebar keeps counting the room's news for him.
    open_live(ben_page, f"{server.url}/tasks/")
    entry = ben_page.locator(f"#chat-room-{ids['room']}")
    expect(entry).to_contain_text("Globex")
    unread = ben_page.locator(f"#chat-unread-{ids['room']}")
    mention = ben_page.locator(f"#chat-mention-{ids['room']}")
    expect(unread).to_be_hidden()
    send(ada_page, "One more thing")
    expect(unread).to_have_text("1")
    expect(mention).to_be_hidden()
    send(ada_page, "@Ben Member can you call them?")
    expect(unread).to_have_text("2")
    expect(mention).to_be_visible()

    # He opens the room from the sidebar: the badges clear, here and on his other pages.
    entry.locator("a").click()
    expect(ben_page).to_have_url(re.compile(rf"/chat/rooms/{ids['room']}/$"))
    expect(ben_page.locator(".chat-divider")).to_be_visible()
    expect(ben_page.locator(f"#chat-unread-{ids['room']}")).to_be_hidden()
    expect(ben_page.locator(f"#chat-mention-{ids['room']}")).to_be_hidden()
    expect(ben_page.locator(".chat-body .mention")).to_have_text("@Ben Member")
    assert browser_problems == []
