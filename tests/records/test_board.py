"""The kanban board: columns and cards, query budget, moves through the view, live fragments."""

from datetime import timedelta
from decimal import Decimal

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from records import services
from records.models import Deal, FieldChange, LossReason, Pipeline, Stage
from records.selectors import deals as selectors
from tests.factories import UserFactory
from tests.live_helpers import Socket, capture_events
from tests.records.queries import count_queries

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def outsider(db):
    """Active staff outside Sales: sees every deal, may not move Sales' deals."""
    return UserFactory(role=Role.MEMBER)


def make_deals(actor, client, count: int, stage=None) -> list[Deal]:
    return [
        services.create_deal(
            actor=actor,
            client=client,
            title=f"Deal {n}",
            amount=Decimal(100 + n),
            stage=stage,
            expected_close=timezone.localdate() + timedelta(days=n - 2),
        )
        for n in range(count)
    ]


def move_url(deal) -> str:
    return reverse("records:deal_move", args=[deal.pk])


# --- The page -------------------------------------------------------------------------


def test_board_shows_every_stage_with_totals_and_cards(client, member, acme, stages, noon_for):
    noon_for(member)  # "yesterday" is the same day for the test (UTC) and the page (their zone)
    deals = make_deals(member, acme, 3)
    client.force_login(member)
    response = client.get(reverse("records:board"))
    assert response.status_code == 200
    html = response.content.decode()
    for stage in stages.values():
        assert f'id="stage-cards-{stage.pk}"' in html
        assert f'id="stage-stats-{stage.pk}"' in html
    for deal in deals:
        assert f'id="deal-card-{deal.pk}"' in html
    first = stages["Qualification"]
    column = selectors.board_columns(first.pipeline)[0]
    assert (column.stage, column.totals.count) == (first, 3)
    assert column.totals.sums == {"EUR": Decimal(303)}
    assert "Acme GmbH" in html and "3 deals" in html
    assert 'data-live-topic="pipeline.' in html
    # The first deal's expected close was two days ago: it is marked overdue.
    assert html.count("is-overdue") == 2  # deals 0 and 1 (closing yesterday, the day before)


def test_one_move_menu_per_board(client, member, acme, pipeline):
    """Cards carry an empty "Move to…" menu; the board holds the stages once (board.js fills it)."""
    make_deals(member, acme, 4)
    client.force_login(member)
    html = client.get(reverse("records:board")).content.decode()
    assert html.count('<select class="card-move-select"><option value="" selected disabled>') == 4
    assert html.count('id="board-move-options"') == 1
    menu = html.split('id="board-move-options">')[1].split("</template>")[0]
    stages = selectors.stages_of(pipeline.pk)
    assert menu == "".join(f'<option value="{stage.pk}">{stage.name}</option>' for stage in stages)


def test_won_and_lost_columns_show_recent_deals_only(member, acme, stages, price):
    recent = services.win_deal(actor=member, deal=make_deals(member, acme, 1)[0])
    old = services.lose_deal(actor=member, deal=make_deals(member, acme, 1)[0], loss_reason=price)
    Deal.objects.filter(pk=old.pk).update(closed_at=timezone.now() - timedelta(days=90))
    columns = {column.stage.name: column for column in selectors.board_columns(recent.pipeline)}
    assert [deal.pk for deal in columns["Won"].cards] == [recent.pk]
    assert columns["Lost"].cards == [] and columns["Lost"].totals.count == 0
    assert list(columns)[-2:] == ["Won", "Lost"]


def test_owner_filter(client, member, sales_manager, acme):
    mine = make_deals(member, acme, 1)[0]
    theirs = services.create_deal(actor=sales_manager, client=acme, title="Managers' deal")
    client.force_login(member)
    html = client.get(reverse("records:board") + "?owner=me").content.decode()
    assert f"deal-card-{mine.pk}" in html and f"deal-card-{theirs.pk}" not in html
    # Filtered totals carry the owner in their id: live updates redraw the right ones.
    assert f'id="stage-stats-{mine.stage_id}-u{member.pk}"' in html
    html = client.get(reverse("records:board") + f"?owner={sales_manager.pk}").content.decode()
    assert f"deal-card-{theirs.pk}" in html and f"deal-card-{mine.pk}" not in html


def test_pipeline_switcher_and_unknown_pipeline(client, member, pipeline):
    other = Pipeline.objects.create(name="Partners")
    Stage.objects.create(pipeline=other, name="Talking", order=0)
    client.force_login(member)
    html = client.get(reverse("records:pipeline_board", args=[other.pk])).content.decode()
    assert "Partners pipeline" in html and "Talking" in html
    assert reverse("records:pipeline_board", args=[pipeline.pk]) in html
    assert client.get(reverse("records:pipeline_board", args=[999999])).status_code == 404


def test_htmx_filter_returns_the_board_only(client, member, acme):
    make_deals(member, acme, 1)
    client.force_login(member)
    response = client.get(reverse("records:board"), HTTP_HX_TARGET="board", **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="board"') and "<html" not in html


def test_board_query_budget_is_constant(client, member, acme, sales_manager):
    """5 deals or 200 (more than a column shows), one owner or two: the same queries."""
    make_deals(member, acme, 5)
    client.force_login(member)
    few = count_queries(client, reverse("records:board"))
    make_deals(member, acme, 195)
    services.create_deal(actor=sales_manager, client=acme, title="Another owner")
    assert count_queries(client, reverse("records:board")) == few
    assert count_queries(client, reverse("records:board") + "?owner=me") == few
    assert few <= 12


def test_columns_cap_their_cards_and_show_more(client, member, acme, stages):
    count = selectors.CARDS_PER_COLUMN + 5
    make_deals(member, acme, count)
    client.force_login(member)
    html = client.get(reverse("records:board")).content.decode()
    assert html.count('<article class="deal-card') == count - 5 and "Show 5 more" in html
    stage = stages["Qualification"]
    url = reverse("records:column_more", args=[stage.pk]) + f"?offset={count - 5}"
    more = client.get(url, **HTMX).content.decode()
    assert more.count('<article class="deal-card') == 5
    assert f'id="stage-more-{stage.pk}" hx-swap-oob="true"' in more and "Show" not in more


# --- Moves through the view ----------------------------------------------------------


def test_move_answers_with_the_live_fragment(client, member, deal, stages):
    client.force_login(member)
    target = stages["Proposal"]
    with capture_events() as events:
        response = client.post(move_url(deal), {"stage": target.pk, "position": 3}, **HTMX)
    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.stage, deal.position) == (target, 3)
    # One fragment for every topic; the reply carries the deal topic's event id.
    event = next(event for event in events if event.topic == f"deal.{deal.pk}")
    assert f"pipeline.{deal.pipeline_id}" in {event.topic for event in events}
    assert response["X-Live-Event"] == str(event.id)
    html = response.content.decode()
    assert html == event.html
    assert f'id="deal-card-{deal.pk}" hx-swap-oob="delete"' in html
    assert f'hx-swap-oob="beforeend:#stage-cards-{target.pk}"' in html
    assert f'id="stage-stats-{target.pk}" hx-swap-oob="true"' in html
    assert f'id="stage-stats-{stages["Qualification"].pk}" hx-swap-oob="true"' in html
    assert f'id="stage-stats-{target.pk}-u{member.pk}"' in html


def test_move_forbidden(client, outsider, deal, stages):
    client.force_login(outsider)
    response = client.post(move_url(deal), {"stage": stages["Proposal"].pk}, **HTMX)
    assert response.status_code == 403
    assert "cannot move" in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage == stages["Qualification"]


def test_move_of_a_deleted_deal_says_so_and_writes_nothing(client, member, deal, stages):
    services.delete_deal(actor=member, deal=deal)
    client.force_login(member)
    changes = FieldChange.objects.count()
    with capture_events(0):
        response = client.post(move_url(deal), {"stage": stages["Proposal"].pk}, **HTMX)
    assert response.status_code == 404
    assert "someone deleted it" in response.content.decode()
    assert FieldChange.objects.count() == changes


def test_move_to_an_unknown_stage(client, member, deal):
    other = Pipeline.objects.create(name="Partners")
    foreign = Stage.objects.create(pipeline=other, name="Talking", order=0)
    client.force_login(member)
    for stage in (999999, "x", foreign.pk):
        response = client.post(move_url(deal), {"stage": stage}, **HTMX)
        assert response.status_code == 422
        assert "does not exist" in response.content.decode()
    assert Deal.objects.get(pk=deal.pk).stage_id != foreign.pk


def test_move_is_post_only(client, member, deal):
    client.force_login(member)
    assert client.get(move_url(deal)).status_code == 405


def test_lose_without_reason_answers_with_the_reasons_form(client, member, deal, stages):
    client.force_login(member)
    with capture_events(0):
        response = client.post(move_url(deal), {"stage": stages["Lost"].pk}, **HTMX)
    assert response.status_code == 422
    assert response["X-Deal-Needs"] == "loss-reason"
    html = response.content.decode()
    assert "Why was it lost?" in html and "Say why the deal was lost" not in html  # no error yet
    assert reverse("records:deal_lose", args=[deal.pk]) in html
    for reason in LossReason.objects.filter(active=True):
        assert reason.name in html
    deal.refresh_from_db()
    assert deal.status == Deal.Status.OPEN


def test_lose_with_reason_and_win(client, member, deal, stages, price):
    client.force_login(member)
    response = client.post(
        move_url(deal),
        {"stage": stages["Lost"].pk, "loss_reason": price.pk, "loss_note": "Too dear"},
        **HTMX,
    )
    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.status, deal.loss_reason, deal.loss_note) == ("lost", price, "Too dear")
    assert f"beforeend:#stage-cards-{stages['Lost'].pk}" in response.content.decode()
    response = client.post(move_url(deal), {"stage": stages["Won"].pk}, **HTMX)
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.status == Deal.Status.WON and deal.loss_reason is None


# --- Live ---------------------------------------------------------------------------------


def test_card_fragments_of_each_kind(member, acme, deal, stages, price, sales_manager):
    with capture_events() as created:
        other = services.create_deal(actor=member, client=acme, title="Second", amount=5)
    html = created[0].html
    assert f'beforeend:#stage-cards-{other.stage_id}"' in html and "Second" in html
    with capture_events() as updated:
        services.update_field(
            actor=member, obj=deal, field="owner", value=sales_manager.pk, seen_value=member.pk
        )
    html = updated[0].html
    assert f'id="deal-card-{deal.pk}"' in html
    # The old owner's and the new owner's filtered totals both change.
    assert f"stage-stats-{deal.stage_id}-u{member.pk}" in html
    assert f"stage-stats-{deal.stage_id}-u{sales_manager.pk}" in html
    with capture_events() as lost:
        services.lose_deal(actor=sales_manager, deal=deal, loss_reason=price)
    assert f"beforeend:#stage-cards-{stages['Lost'].pk}" in lost[0].html
    with capture_events() as deleted:
        services.delete_deal(actor=sales_manager, deal=other)
    html = deleted[0].html
    assert f'id="deal-card-{other.pk}" hx-swap-oob="delete"' in html
    assert "beforeend:" not in html
    assert f'id="stage-stats-{other.stage_id}" hx-swap-oob="true"' in html


def test_title_change_redraws_the_card_but_not_the_totals(member, deal):
    with capture_events() as events:
        services.update_field(
            actor=member, obj=deal, field="title", value="Big rollout", seen_value="Rollout"
        )
    html = events[0].html
    assert "Big rollout" in html and "stage-stats-" not in html


@pytest.mark.django_db(transaction=True)
async def test_a_move_pushes_the_card_to_a_board_subscriber(defaults, member, acme):
    deal = await database_sync_to_async(services.create_deal)(
        actor=member, client=acme, title="Socket deal"
    )
    proposal = await Stage.objects.aget(pipeline_id=deal.pipeline_id, name="Proposal")
    watcher = await database_sync_to_async(UserFactory)()
    socket = await Socket.open(watcher)
    topic = f"pipeline.{deal.pipeline_id}"
    frames = await socket.subscribe({topic: None})
    assert frames[-1] == {"type": "live.subscribed", "topic": topic}
    await database_sync_to_async(services.move_deal)(actor=member, deal=deal, stage=proposal)
    frame = await socket.receive()
    assert (frame["topic"], frame["kind"]) == (topic, "deal.moved")
    assert f'id="deal-card-{deal.pk}" hx-swap-oob="delete"' in frame["html"]
    assert f"beforeend:#stage-cards-{proposal.pk}" in frame["html"]
    await socket.close()
