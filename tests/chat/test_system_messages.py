"""System lines in a client's chat room, posted by the records services in their transaction."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from chat.models import Message, Room
from records import services
from records.models import Handoff, Priority
from records.services.deals import money_text
from tests.factories import UserFactory
from tests.live_helpers import capture_events
from tests.records import conftest as records

pytestmark = pytest.mark.django_db

defaults, pipeline, stages, price, acme = (
    records.defaults,
    records.pipeline,
    records.stages,
    records.price,
    records.acme,
)


@pytest.fixture
def seller(sales):
    return UserFactory(full_name="Ben Ode", departments=[sales])


@pytest.fixture
def agent(support):
    return UserFactory(full_name="Ana Lima", departments=[support])


@pytest.fixture
def ticket(agent, acme):
    return services.create_ticket(actor=agent, client=acme, subject="Cannot log in")


@pytest.fixture
def handoff(agent, acme, sales):
    return services.hand_off(
        actor=agent,
        client=acme,
        to_department=sales,
        note="Wants the **enterprise** plan.\nI promised a call this week.",
    )


def lines(client) -> list[str]:
    """The system messages in the client's room, oldest first."""
    return list(
        Message.objects.filter(room__client=client, kind=Message.Kind.SYSTEM)
        .order_by("seq")
        .values_list("body", flat=True)
    )


def posted_in_room(events, client) -> list:
    room = Room.objects.get(client=client)
    return [e for e in events if e.topic == f"room.{room.pk}" and e.kind == "chat.message.posted"]


# --- Handoffs ---------------------------------------------------------------------


def test_a_handoff_is_told_in_the_clients_room(agent, acme, sales):
    with capture_events() as events:
        services.hand_off(
            actor=agent,
            client=acme,
            to_department=sales,
            note="Wants the **enterprise** plan.\nI promised a call this week.",
        )
    assert lines(acme) == [
        "Ana Lima handed this client off to Sales: Wants the **enterprise** plan."
    ]
    [event] = posted_in_room(events, acme)
    assert event.payload["system"] is True and event.payload["author"] is None
    message = Message.objects.get(kind=Message.Kind.SYSTEM)
    assert "<strong>enterprise</strong>" in message.body_html  # the note is Markdown


def test_a_handoff_of_a_ticket_to_a_person_names_both(agent, seller, acme, sales, ticket):
    services.hand_off(
        actor=agent, client=acme, ticket=ticket, to_department=sales, to_user=seller, note="Yours"
    )
    assert lines(acme) == [
        "Ana Lima handed this client (ticket Cannot log in) off to Ben Ode (Sales): Yours"
    ]


def test_accepting_is_told(handoff, seller, acme):
    with capture_events() as events:
        services.accept_handoff(actor=seller, handoff=handoff)
    assert lines(acme)[-1] == "Ben Ode accepted the handoff from Ana Lima."
    assert len(posted_in_room(events, acme)) == 1


def test_declining_is_told_with_the_reason(handoff, seller, acme):
    services.decline_handoff(actor=seller, handoff=handoff, reason="Not a sales topic\nAsk CS.")
    assert lines(acme)[-1] == "Ben Ode declined the handoff from Ana Lima: Not a sales topic"


def test_withdrawing_and_escalating_are_told(agent, acme, sales, handoff):
    Handoff.objects.filter(pk=handoff.pk).update(escalate_after=timezone.now())
    services.escalate_handoff(handoff_id=handoff.pk)
    assert lines(acme)[-1].startswith("The handoff to Sales went unanswered for ")
    assert lines(acme)[-1].endswith("and was escalated to Sales's managers.")
    services.withdraw_handoff(actor=agent, handoff=handoff)
    assert lines(acme)[-1] == "Ana Lima withdrew the handoff to Sales."


def test_a_refused_answer_posts_nothing(handoff, seller, acme):
    before = lines(acme)
    with capture_events(0), pytest.raises(ValidationError):
        services.decline_handoff(actor=seller, handoff=handoff, reason="  ")
    services.accept_handoff(actor=seller, handoff=handoff)
    with pytest.raises(ValidationError, match="already accepted"):
        services.accept_handoff(actor=seller, handoff=handoff)
    assert lines(acme) == [*before, "Ben Ode accepted the handoff from Ana Lima."]


# --- Deals --------------------------------------------------------------------------


def test_a_won_deal_is_told_with_its_amount(member, acme, stages):
    deal = services.create_deal(actor=member, client=acme, title="Fleet", amount=Decimal(12000))
    services.move_deal(actor=member, deal=deal, stage=stages["Proposal"])
    assert lines(acme) == []  # opening and moving a deal are not worth a line
    with capture_events() as events:
        services.win_deal(actor=member, deal=deal)
    assert lines(acme) == [f"Deal Fleet won by {member} — €12,000"]
    assert len(posted_in_room(events, acme)) == 1
    services.move_deal(actor=member, deal=deal, stage=deal.stage, position=3)  # still won
    assert len(lines(acme)) == 1


def test_a_lost_deal_is_not_told(member, acme, price):
    deal = services.create_deal(actor=member, client=acme, title="Fleet")
    services.lose_deal(actor=member, deal=deal, loss_reason=price)
    assert lines(acme) == []


def test_names_are_shown_as_typed(member, acme):
    deal = services.create_deal(
        actor=member, client=acme, title="[Pay](https://evil.example) *now* #1", amount=5
    )
    services.win_deal(actor=member, deal=deal)
    message = Message.objects.get(kind=Message.Kind.SYSTEM)
    assert "<a" not in message.body_html and "<em>" not in message.body_html
    assert "[Pay](https://evil.example) *now* #1" in message.body_html


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal(12000), "EUR", "€12,000"),
        (Decimal("1234.5"), "USD", "$1,234.50"),
        (Decimal(99), "GBP", "£99"),
        (Decimal(12000), "CHF", "12,000 CHF"),
    ],
)
def test_amounts(amount, currency, shown):
    assert money_text(amount, currency) == shown


# --- Tickets --------------------------------------------------------------------------


def test_raising_a_ticket_to_urgent_escalates_it(agent, acme, ticket):
    services.update_field(
        actor=agent, obj=ticket, field="priority", value=Priority.HIGH, seen_value="normal"
    )
    assert lines(acme) == []  # raised, but not escalated
    with capture_events() as events:
        services.update_field(
            actor=agent, obj=ticket, field="priority", value=Priority.URGENT, seen_value="high"
        )
    assert lines(acme) == [
        f"Ana Lima escalated ticket \\#{ticket.pk} “Cannot log in” to urgent (was high)."
    ]
    assert len(posted_in_room(events, acme)) == 1
    message = Message.objects.get(kind=Message.Kind.SYSTEM)
    assert f"#{ticket.pk} “Cannot log in”" in message.body_html
    services.update_field(
        actor=agent, obj=ticket, field="subject", value="Login fails", seen_value="Cannot log in"
    )
    assert len(lines(acme)) == 1


def test_a_ticket_opened_as_urgent_or_lowered_is_not_an_escalation(agent, acme):
    ticket = services.create_ticket(
        actor=agent, client=acme, subject="Down", priority=Priority.URGENT
    )
    services.update_field(
        actor=agent, obj=ticket, field="priority", value=Priority.LOW, seen_value="urgent"
    )
    assert lines(acme) == []


def test_the_line_commits_and_rolls_back_with_the_change(member, acme):
    deal = services.create_deal(actor=member, client=acme, title="Fleet", amount=5)
    with capture_events(0), pytest.raises(RuntimeError), transaction.atomic():
        services.win_deal(actor=member, deal=deal)
        raise RuntimeError("the caller's transaction fails after the service")
    deal.refresh_from_db()
    assert deal.status == "open" and lines(acme) == []
    assert not Room.objects.filter(client=acme, last_seq__gt=0).exists()
