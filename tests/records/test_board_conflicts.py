"""Conflict-safe moves (issue 13): a move carries the stage the mover saw, and one that
someone else's move overtook is refused (409) with who moved it where and when, like a
field conflict; nothing is saved or published. The Lost dialog opens without an error."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from accounts.models import Role
from records import services
from records.models import Deal, FieldChange, Pipeline, Stage, TimelineEntry
from records.services import FieldConflict
from records.services.deals import MoveConflict
from tests.factories import UserFactory
from tests.live_helpers import capture_events
from tests.races import second_waits_for_first
from workspace.live.models import Event

HTMX = {"HTTP_HX_REQUEST": "true"}
BOARD = HTMX | {"HTTP_HX_TARGET": "board"}  # what board.js sends


@pytest.fixture
def outsider(db):
    """Active staff outside Sales: sees every deal, may not move Sales' deals."""
    return UserFactory(role=Role.MEMBER)


@pytest.fixture
def moved(sales_manager, deal, stages):
    """``deal`` moved to Proposal by the manager, after ``member`` saw it in Qualification."""
    return services.move_deal(actor=sales_manager, deal=deal, stage=stages["Proposal"])


@pytest.fixture
def foreign_stage(db):
    return Stage.objects.create(pipeline=Pipeline.objects.create(name="Partners"), name="Talking")


def move_url(deal) -> str:
    return reverse("records:deal_move", args=[deal.pk])


def lose_url(deal) -> str:
    return reverse("records:deal_lose", args=[deal.pk])


def history() -> tuple[int, int]:
    """How many audit rows and timeline entries there are (a refused move adds none)."""
    return FieldChange.objects.count(), TimelineEntry.objects.count()


# --- The service ----------------------------------------------------------------------------


def test_a_move_from_the_stage_the_deal_is_in_applies(member, deal, stages):
    with capture_events(4) as events:
        services.move_deal(
            actor=member, deal=deal, stage=stages["Proposal"], seen_stage=stages["Qualification"]
        )
    assert {event.kind for event in events} == {"deal.moved"}
    deal.refresh_from_db()
    assert deal.stage == stages["Proposal"]


def test_a_move_from_a_stage_the_deal_left_is_refused(member, sales_manager, moved, stages):
    before = history()
    with capture_events(0), pytest.raises(MoveConflict) as refused:
        services.move_deal(
            actor=member,
            deal=moved,
            stage=stages["Negotiation"].pk,
            seen_stage=str(stages["Qualification"].pk),
        )
    conflict = refused.value
    assert isinstance(conflict, FieldConflict)  # answered like a field conflict
    assert (conflict.field, conflict.current, conflict.current_display) == (
        "stage",
        stages["Proposal"].pk,
        "Proposal",
    )
    assert conflict.changed_by == sales_manager and conflict.changed_at is not None
    assert conflict.wanted == stages["Negotiation"]
    assert conflict.messages == [
        f"{sales_manager} moved this deal to Proposal while you were moving it to "
        "Negotiation. Your move was not saved; move it again to replace theirs."
    ]
    assert history() == before
    assert Deal.objects.get(pk=moved.pk).stage == stages["Proposal"]
    # Moving again from where the deal is now ("Move anyway") replaces their move.
    with capture_events(4):
        services.move_deal(
            actor=member,
            deal=moved,
            stage=stages["Negotiation"],
            seen_stage=conflict.current,
        )
    assert Deal.objects.get(pk=moved.pk).stage == stages["Negotiation"]


def test_landing_where_the_deal_already_is_is_no_conflict(member, moved, stages, price):
    seen = stages["Qualification"]
    with capture_events(4):  # a reorder in its column
        services.move_deal(
            actor=member, deal=moved, stage=stages["Proposal"], position=5, seen_stage=seen
        )
    assert Deal.objects.get(pk=moved.pk).position == 5
    won = services.win_deal(actor=member, deal=moved)
    with capture_events(0):  # won twice: nothing to do
        services.win_deal(actor=member, deal=won, seen_stage=seen)
    # Lost twice would replace the other person's reason: that is a conflict.
    lost = services.lose_deal(actor=member, deal=won, loss_reason=price)
    with capture_events(0), pytest.raises(MoveConflict, match="moved this deal to Lost"):
        services.lose_deal(actor=member, deal=lost, loss_reason=price, seen_stage=seen)


def test_win_and_lose_carry_the_seen_stage_too(member, moved, stages, price):
    seen = stages["Qualification"].pk
    with capture_events(0), pytest.raises(MoveConflict):
        services.win_deal(actor=member, deal=moved, seen_stage=seen)
    with capture_events(0), pytest.raises(MoveConflict):
        services.lose_deal(actor=member, deal=moved, loss_reason=price, seen_stage=seen)
    # Without a loss reason, the conflict comes first: no point asking why.
    with capture_events(0), pytest.raises(MoveConflict):
        services.move_deal(actor=member, deal=moved, stage=stages["Lost"], seen_stage=seen)
    assert Deal.objects.get(pk=moved.pk).status == Deal.Status.OPEN


def test_an_unknown_seen_stage_is_bad_input(member, deal, stages, foreign_stage):
    for seen in (999999, "nonsense", foreign_stage):
        with capture_events(0), pytest.raises(ValidationError, match="reload the page"):
            services.move_deal(actor=member, deal=deal, stage=stages["Proposal"], seen_stage=seen)
    assert Deal.objects.get(pk=deal.pk).stage == stages["Qualification"]


def test_rights_and_deletion_come_before_the_conflict(outsider, member, moved, stages):
    seen = stages["Qualification"]
    with capture_events(0), pytest.raises(PermissionDenied):
        services.move_deal(actor=outsider, deal=moved, stage=stages["Won"], seen_stage=seen)
    Deal.objects.filter(pk=moved.pk).delete()
    with pytest.raises(ValidationError, match="deleted by someone else"):
        services.move_deal(actor=member, deal=moved, stage=stages["Won"], seen_stage=seen)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs a server database: SQLite's in-memory test database is one connection",
)
@pytest.mark.django_db(transaction=True)
def test_two_moves_from_the_same_stage_at_once_one_wins(defaults, member, sales_manager, acme):
    """Both saw Qualification; the row lock serializes them and the second is refused."""
    deal = services.create_deal(actor=member, client=acme, title="Race")
    stages = {stage.name: stage for stage in Stage.objects.filter(pipeline=deal.pipeline)}
    seen = deal.stage_id
    first, second = second_waits_for_first(
        lambda: services.move_deal(
            actor=member, deal=deal, stage=stages["Proposal"], seen_stage=seen
        ),
        lambda: services.move_deal(
            actor=sales_manager, deal=deal, stage=stages["Negotiation"], seen_stage=seen
        ),
    )
    assert first.stage == stages["Proposal"]
    assert isinstance(second, MoveConflict) and second.changed_by == member
    assert Deal.objects.get(pk=deal.pk).stage == stages["Proposal"]
    assert FieldChange.objects.filter(field="stage").count() == 1


# --- The board ----------------------------------------------------------------------------------


def test_a_refused_move_answers_the_card_as_it_is_with_the_conflict_in_it(
    client, member, sales_manager, moved, stages
):
    client.force_login(member)
    before = history()
    seen, wanted, now = stages["Qualification"], stages["Negotiation"], stages["Proposal"]
    with capture_events(0):
        response = client.post(
            move_url(moved), {"stage": wanted.pk, "position": 0, "seen_stage": seen.pk}, **BOARD
        )
    assert response.status_code == 409
    assert history() == before
    assert Deal.objects.get(pk=moved.pk).stage == now
    # Drawn at the event log's end: no older event may redraw it, any later one does.
    assert response["X-Live-Event"] == str(Event.objects.order_by("-id").first().id)
    html = response.content.decode()
    assert f'id="deal-card-{moved.pk}" hx-swap-oob="delete"' in html
    card = html.split(f'hx-swap-oob="beforeend:#stage-cards-{now.pk}">')[1]
    assert f'data-stage="{now.pk}"' in card.split(">")[0]
    notice = html.split(f'hx-swap-oob="beforeend:#deal-card-{moved.pk}">')[1]
    assert f'id="deal-conflict-{moved.pk}"' in notice
    assert f'data-stage="{now.pk}" data-wanted="{wanted.pk}"' in notice
    assert f"<strong>{sales_manager}</strong> moved it to <strong>Proposal</strong>" in notice
    assert 'data-localize="relative"' in notice  # when
    assert "Your move to Negotiation was not saved." in notice
    assert "Move anyway" in notice and "Keep theirs" in notice
    # "Move anyway": the same move, from the stage the conflict named.
    with capture_events(4):
        response = client.post(move_url(moved), {"stage": wanted.pk, "seen_stage": now.pk}, **BOARD)
    assert response.status_code == 200
    assert Deal.objects.get(pk=moved.pk).stage == wanted


def test_a_refused_move_from_the_deal_page_says_who_moved_it(client, member, moved, stages):
    client.force_login(member)
    with capture_events(0):
        response = client.post(
            move_url(moved),
            {"stage": stages["Negotiation"].pk, "seen_stage": stages["Qualification"].pk},
            **HTMX,
        )
    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/plain")
    assert "moved this deal to Proposal while you were moving it" in response.content.decode()


def test_moves_without_a_seen_stage_work_as_before(client, member, moved, stages):
    """Old clients (and the API, later) send no seen stage: the move applies."""
    client.force_login(member)
    response = client.post(move_url(moved), {"stage": stages["Negotiation"].pk}, **BOARD)
    assert response.status_code == 200
    assert Deal.objects.get(pk=moved.pk).stage == stages["Negotiation"]


def test_refusals_other_than_conflicts(client, outsider, member, deal, stages, foreign_stage):
    move = {"stage": stages["Proposal"].pk, "seen_stage": stages["Qualification"].pk}
    client.force_login(outsider)
    with capture_events(0):
        assert client.post(move_url(deal), move, **BOARD).status_code == 403
    client.force_login(member)
    for seen in ("nonsense", foreign_stage.pk):
        response = client.post(move_url(deal), move | {"seen_stage": seen}, **BOARD)
        assert response.status_code == 422 and "reload the page" in response.content.decode()
    response = client.post(move_url(deal), move | {"stage": "x"}, **BOARD)
    assert response.status_code == 422 and "does not exist" in response.content.decode()
    services.delete_deal(actor=member, deal=deal)
    with capture_events(0):
        response = client.post(move_url(deal), move, **BOARD)
    assert response.status_code == 404 and "someone deleted it" in response.content.decode()


def test_cards_carry_the_stage_they_were_drawn_in(client, member, deal, stages):
    client.force_login(member)
    html = client.get(reverse("records:board")).content.decode()
    assert f'id="deal-card-{deal.pk}" data-deal="{deal.pk}" data-stage="{deal.stage_id}"' in html


# --- The Lost dialog ----------------------------------------------------------------------


def test_the_lost_dialog_opens_without_an_error(client, member, deal, stages):
    """A drop into Lost asks for the reason: a fresh form that remembers the seen stage."""
    client.force_login(member)
    seen = stages["Qualification"].pk
    with capture_events(0):
        response = client.post(
            move_url(deal), {"stage": stages["Lost"].pk, "seen_stage": seen}, **BOARD
        )
    assert response.status_code == 422 and response["X-Deal-Needs"] == "loss-reason"
    html = response.content.decode()
    assert 'name="loss_reason"' in html
    assert "Say why the deal was lost" not in html and "is-invalid" not in html
    assert f'name="seen_stage" value="{seen}"' in html
    # Submitted without a reason, the dialog says what is missing.
    response = client.post(lose_url(deal), {"seen_stage": seen}, **HTMX)
    assert "Say why the deal was lost: pick a reason." in response.content.decode()
    # So does a move that sent the reason field empty.
    response = client.post(move_url(deal), {"stage": stages["Lost"].pk, "loss_reason": ""}, **BOARD)
    assert "Say why the deal was lost: pick a reason." in response.content.decode()
    assert Deal.objects.get(pk=deal.pk).status == Deal.Status.OPEN


def test_the_lost_dialog_of_the_deal_page_is_clean_and_carries_the_seen_stage(client, member, deal):
    client.force_login(member)
    html = client.get(lose_url(deal) + f"?seen_stage={deal.stage_id}", **HTMX).content.decode()
    assert "Say why the deal was lost" not in html
    assert f'name="seen_stage" value="{deal.stage_id}"' in html


def test_a_loss_overtaken_by_a_move_shows_it_and_a_second_submit_loses_anyway(
    client, member, sales_manager, moved, stages, price
):
    client.force_login(member)
    form = {"loss_reason": price.pk, "seen_stage": stages["Qualification"].pk}
    with capture_events(0):
        response = client.post(lose_url(moved), form, **HTMX)
    html = response.content.decode()
    assert f"{sales_manager} moved this deal to Proposal while you were moving it" in html
    assert f'name="seen_stage" value="{stages["Proposal"].pk}"' in html  # the new baseline
    assert Deal.objects.get(pk=moved.pk).status == Deal.Status.OPEN
    response = client.post(lose_url(moved), form | {"seen_stage": stages["Proposal"].pk}, **HTMX)
    assert response["HX-Trigger"] == "deal-closed"
    assert Deal.objects.get(pk=moved.pk).status == Deal.Status.LOST


# --- The deal page ------------------------------------------------------------------------


def test_the_deal_page_moves_carry_the_stage_it_shows(client, member, deal):
    client.force_login(member)
    html = client.get(reverse("records:deal_detail", args=[deal.pk])).content.decode()
    seen = f'"seen_stage": "{deal.stage_id}"'
    assert html.count(seen) == html.count('class="stage-step-button"') == 4
    hidden = f'name="seen_stage" value="{deal.stage_id}" id="deal-seen-stage-{deal.pk}"'
    assert hidden in html
    assert html.count(f'hx-include="#deal-seen-stage-{deal.pk}"') == 2  # Won, Lost


def test_won_overtaken_by_a_move_is_refused(client, member, moved, stages):
    client.force_login(member)
    url = reverse("records:deal_win", args=[moved.pk])
    with capture_events(0):
        response = client.post(url, {"seen_stage": stages["Qualification"].pk}, **HTMX)
    assert response.status_code == 409
    assert "moved this deal to Proposal" in response.content.decode()
    assert Deal.objects.get(pk=moved.pk).status == Deal.Status.OPEN
