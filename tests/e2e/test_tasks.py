"""A manager assigns a task from the top bar's quick-add; the assignee's open My tasks
page shows it without a reload, and completing it there updates the manager's board."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_an_assigned_task_arrives_live(serve, server_db, sign_in, open_live, browser_problems):
    server = serve()
    maya = server_db.run("user", "Maya Manager", "--role", "manager")
    ben = server_db.run("user", "Ben Member")
    maya_page = sign_in(server, maya)
    ben_page = sign_in(server, ben)
    open_live(ben_page, f"{server.url}/tasks/")
    ben_page.evaluate("window.notReloaded = true")
    open_live(maya_page, f"{server.url}/tasks/team/")

    # Maya opens the quick-add from the top bar and gives Ben a task due in two days.
    maya_page.get_by_role("link", name="Add a task", exact=True).click()
    modal = maya_page.locator("#task-quick-modal")
    expect(modal).to_be_visible()
    modal.get_by_label("Title").fill("Call Globex about the renewal")
    modal.get_by_label("Assignee").select_option(label="Ben Member")
    expect(modal.locator("[data-task-zone-name]")).to_contain_text("Ben Member's time")
    modal.get_by_label("Due").fill("2099-01-15T10:00")
    modal.get_by_role("button", name="Add task").click()
    expect(modal).to_contain_text("Task created for Ben Member")

    # Ben's page shows it in Upcoming without a reload; the board row arrives for Maya.
    row = ben_page.locator(f"#my-{ben['id']}-upcoming .task-row")
    expect(row).to_contain_text("Call Globex about the renewal")
    board_row = maya_page.locator(f"#team-person-{ben['id']}-tasks .task-row")
    expect(board_row).to_contain_text("Call Globex about the renewal")
    expect(maya_page.locator(f"#team-person-{ben['id']}-counts")).to_contain_text("1 open")

    # Ben ticks it off: it moves to Done, and Maya's board drops it.
    row.get_by_role("button", name=re.compile("Mark .* done")).click()
    expect(ben_page.locator(f"#my-{ben['id']}-done .task-row")).to_contain_text("Call Globex")
    expect(board_row).to_have_count(0)
    expect(maya_page.locator(f"#team-person-{ben['id']}-counts")).to_contain_text("0 open")
    assert ben_page.evaluate("window.notReloaded") is True
    assert browser_problems == []
