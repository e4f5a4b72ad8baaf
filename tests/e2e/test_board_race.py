"""Two people on one kanban board move the same card to different stages at the same
moment, twenty times: one move wins, the other mover sees who moved it where ("Move
anyway" / "Keep theirs"), and both boards show the card where the server has it."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROUNDS = 20
SETTLED = 3000  # ms: how long the boards may take to agree with the server
PEOPLE = ("Ada Admin", "Ben Member")

CREATE_DEAL = """
owner = User.objects.get(pk=int(sys.argv[1]))
client = services.create_client(actor=owner, name="Globex", domain="globex.example")
deal = services.create_deal(actor=owner, client=client, title="Race deal")
stages = deal.pipeline.stages.filter(is_won=False, is_lost=False)
print(json.dumps({"id": deal.pk, "stages": {stage.pk: stage.name for stage in stages}}))
"""

# Both browsers run this with the same wall-clock moment (one machine, one clock): at
# that moment each picks a stage in the card's "Move to…" menu, the path board.js takes
# for a person (focus fills the menu, then the change event moves the card).
MOVE_AT = """([deal, stage, at]) => {
  setTimeout(() => {
    const select = document.querySelector(`#deal-card-${deal} .card-move-select`);
    select.dispatchEvent(new FocusEvent("focusin", { bubbles: true }));
    select.value = String(stage);
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }, at - Date.now());
}"""


# The winning move's event arriving after the refusal (it has the id the refusal's
# drawing is at, so live.js redraws the card): the notice must stay in the card.
LATE_COPY = """(deal) => {
  const card = document.getElementById(`deal-card-${deal}`);
  const copy = card.cloneNode(true);
  copy.querySelector(".card-conflict").remove();
  window.live.apply(
    `<div id="deal-card-${deal}" hx-swap-oob="delete"></div>` +
      `<div hx-swap-oob="beforeend:#${card.parentElement.id}">${copy.outerHTML}</div>`,
    Number(card.dataset.liveId),
  );
  document.dispatchEvent(new CustomEvent("live:event", { detail: {} }));
  return document.getElementById(`deal-card-${deal}`) !== card;
}"""


def server_stage(page, url: str, deal: int) -> int:
    """The column the server's own board puts the card in."""
    html = page.request.get(url).text()
    before = html[: html.index(f'id="deal-card-{deal}"')]
    return int(re.findall(r'id="stage-cards-(\d+)"', before)[-1])


def answers(page) -> list[int]:
    """The statuses of the page's move requests, as they come."""
    statuses = []
    page.on("response", lambda r: "/move/" in r.url and statuses.append(r.status))
    return statuses


def last_answers(page, statuses: list[list[int]], count: int) -> list[int]:
    """Wait (a few seconds at most) until each list holds ``count`` answers; the last ones."""
    for _ in range(SETTLED // 25):
        if all(len(answered) >= count for answered in statuses):
            break
        page.wait_for_timeout(25)  # lets Playwright deliver the pages' events
    assert [len(answered) for answered in statuses] == [count] * len(statuses)
    return [answered[-1] for answered in statuses]


def expect_card_in(page, deal: int, stage: int) -> None:
    expect(page.locator(f"#stage-cards-{stage} > #deal-card-{deal}")).to_be_visible(timeout=SETTLED)
    expect(page.locator(f"#deal-card-{deal}")).to_have_count(1)


def test_two_people_move_the_same_card_at_once(
    serve, server_db, run_script, sign_in, open_live, browser_problems
):
    server = serve()
    people = [
        server_db.run("user", PEOPLE[0], "--role", "admin"),
        server_db.run("user", PEOPLE[1]),
    ]
    made = run_script(CREATE_DEAL, people[0]["id"])
    deal, names = made["id"], {int(pk): name for pk, name in made["stages"].items()}
    board = f"{server.url}/pipeline/"
    pages = [sign_in(server, person) for person in people]
    statuses = [answers(page) for page in pages]
    for page in pages:
        open_live(page, board)
    stage = server_stage(pages[0], board, deal)

    for round_ in range(ROUNDS):
        others = [pk for pk in names if pk != stage]
        wanted = [others[round_ % len(others)], others[(round_ + 1) % len(others)]]
        at = pages[0].evaluate("Date.now()") + 200
        for page, target in zip(pages, wanted, strict=True):
            page.evaluate(MOVE_AT, [deal, target, at])
        last = last_answers(pages[0], statuses, round_ + 1)
        assert sorted(last) == [200, 409], f"round {round_}: {last}"
        winner, loser = (0, 1) if last[0] == 200 else (1, 0)
        stage = server_stage(pages[0], board, deal)
        assert stage == wanted[winner], f"round {round_}: the winner's move is not the server's"

        notice = pages[loser].locator(f"#deal-card-{deal} .card-conflict")
        expect(notice).to_contain_text(f"{PEOPLE[winner]} moved it to {names[stage]}")
        expect(notice).to_contain_text(f"Your move to {names[wanted[loser]]} was not saved.")
        for page in pages:
            expect_card_in(page, deal, stage)
        expect(pages[winner].locator(".card-conflict")).to_have_count(0)
        if round_ == 0:
            assert pages[loser].evaluate(LATE_COPY, deal) is True  # the card was redrawn
            expect(notice).to_be_visible()

        if round_ % 5 == 4:  # now and then the loser insists
            notice.get_by_role("button", name="Move anyway").click()
            assert last_answers(pages[loser], [statuses[loser]], round_ + 2) == [200]
            stage = wanted[loser]
            statuses[loser].pop()  # so each round counts one answer per page
            for page in pages:
                expect_card_in(page, deal, stage)
        else:
            notice.get_by_role("button", name="Keep theirs").click()
            expect_card_in(pages[loser], deal, stage)
        expect(pages[loser].locator(".card-conflict")).to_have_count(0)

    assert server_stage(pages[1], board, deal) == stage
    # Refused moves are 409 answers (shown in the card); Chromium logs them, nothing else failed.
    assert [text for text in browser_problems if "409 (Conflict)" not in text] == []
