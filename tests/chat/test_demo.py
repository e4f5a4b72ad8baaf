"""seed_demo's chat (chat/demo.py): rooms, conversations, and the services' invariants.

The module seeds once, twice over (tests/demo_seeding.py).
"""

import random
from datetime import timedelta

import pytest
from django.db.models import Count, Max
from django.utils import timezone

from accounts.management.commands.seed_demo import DEMO_PASSWORD
from accounts.models import Department, User
from chat import demo, policies, services
from chat.models import Membership, Message, Reaction, Room
from records.models import TimelineEntry
from tests.demo_seeding import seeded_twice


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count() for model in (Room, Message, Reaction, Membership)
    }


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with seeded_twice(django_db_blocker, counts) as seeded:
        yield seeded


@pytest.fixture
def login(seeded):
    return seeded.login


def unread(person: User) -> dict[Room, int]:
    """Unread messages per followed room, as the sidebar counts them."""
    rows = Membership.objects.filter(user=person, is_member=True).select_related("room")
    return {
        row.room: row.room.last_seq - row.last_read_seq
        for row in rows
        if policies.can_view_room(person, row.room)
    }


def test_seeding_reports_and_makes_every_kind_of_room(seeded, db):
    assert f"Chat: {seeded.made['Room']} rooms, {seeded.made['Message']} messages" in seeded.output
    kinds = dict(Room.objects.values_list("kind").annotate(n=Count("pk")))
    assert kinds["department"] == Department.objects.count()
    assert kinds["client"] == demo.CLIENT_ROOMS
    assert kinds["direct"] >= 3
    groups = Room.objects.filter(kind="group")
    assert sorted(groups.values_list("is_private", flat=True)) == [False, True]
    assert 250 <= seeded.made["Message"] <= 350
    assert seeded.made["Reaction"] > 50


def test_conversations_span_two_weeks_with_threads_mentions_chips_and_system_lines(seeded, db):
    now = timezone.now()
    messages = Message.objects.all()
    assert not messages.filter(created_at__gt=now).exists()
    assert not messages.filter(created_at__lt=now - timedelta(days=demo.DAYS + 1)).exists()
    days = {at.date() for at in messages.values_list("created_at", flat=True)}
    assert len(days) >= 10
    assert messages.filter(reply_count__gt=0).count() >= 3
    assert messages.filter(mentions__isnull=False).distinct().count() >= 15
    assert messages.filter(mentioned_departments__isnull=False).exists()
    assert messages.filter(clients__isnull=False).filter(body_html__contains="chip-client").exists()
    system = messages.filter(kind="system")
    assert system.filter(body__contains=" won by ").exists()
    assert system.filter(body__contains="handed this client").exists()
    assert set(system.values_list("room__kind", flat=True)) == {"client"}


def test_seqs_run_one_to_last_seq_in_time_order(seeded, db):
    for room in Room.objects.all():
        rows = list(room.messages.order_by("seq").values_list("seq", "created_at"))
        assert [seq for seq, _ in rows] == list(range(1, room.last_seq + 1)), room
        assert [at for _, at in rows] == sorted(at for _, at in rows), room
        assert room.last_message_at == rows[-1][1]
        assert room.created_at < rows[0][1]


def test_threads_count_their_replies(seeded, db):
    replies = Message.objects.exclude(parent=None)
    assert not replies.exclude(parent__parent=None).exists()  # one level deep
    for root in Message.objects.filter(reply_count__gt=0):
        own = replies.filter(parent=root)
        assert root.reply_count == own.count()
        assert root.last_reply_at == own.aggregate(last=Max("created_at"))["last"]
        assert not own.exclude(room=root.room).exists()
        assert not own.filter(seq__lte=root.seq).exists()


def test_bodies_and_references_are_what_post_message_would_save(seeded, db):
    """The same HTML, chips, departments and mentioned people (readers named or in a
    department named, never the author) as chat/services.py works out for the text."""
    messages = Message.objects.select_related("room", "author").prefetch_related(
        "clients", "mentions", "mentioned_departments"
    )
    for message in messages:
        draft = services._draft(message.body)
        assert message.body_html == draft.html
        assert set(message.clients.all()) == set(draft.clients)
        if message.kind == "user":
            assert set(message.mentioned_departments.all()) == set(draft.departments)
            expected = services._mentioned(message.room, draft, message.author)
            assert set(message.mentions.all()) == set(expected), message.body
        else:
            assert message.author is None
            assert not message.mentions.exists()


def test_every_author_could_post_and_every_reaction_could_be_made(seeded, db):
    for message in Message.objects.filter(kind="user").select_related("room", "author"):
        assert policies.can_post(message.author, message.room), message
    for reaction in Reaction.objects.select_related("message__room", "user"):
        assert policies.can_react(reaction.user, reaction.message)
        assert reaction.user != reaction.message.author


def test_read_marks_are_within_the_room_and_cover_ones_own_messages(seeded, db):
    last_own = {
        (room, author): seq
        for room, author, seq in Message.objects.filter(kind="user")
        .values("room", "author")
        .annotate(seq=Max("seq"))
        .values_list("room", "author", "seq")
    }
    for row in Membership.objects.select_related("room"):
        assert 0 <= row.last_read_seq <= row.room.last_seq
        assert row.last_read_seq >= last_own.get((row.room_id, row.user_id), 0)
    for room, author in last_own:
        assert Membership.objects.filter(room=room, user=author).exists()


def test_the_demo_login_has_a_few_unread_rooms_and_one_unread_mention(seeded, login, db):
    counts = unread(login)
    assert sum(counts.values()) > 0
    assert len([room for room, count in counts.items() if count]) >= 3
    their_departments = set(login.departments.values_list("pk", flat=True))
    unread_mentions = [
        message
        for room, count in counts.items()
        for message in room.messages.filter(seq__gt=room.last_seq - count)
        if login in message.mentions.all()
        or message.mentioned_departments.filter(pk__in=their_departments).exists()
    ]
    assert len(unread_mentions) == 1
    assert unread_mentions[0].room.name == demo.LAUNCH_ROOM


def test_the_login_can_sign_in_and_sees_rooms_but_not_others_direct_messages(
    seeded, login, client, db
):
    assert client.login(email=login.email, password=DEMO_PASSWORD)
    direct = Room.objects.filter(kind="direct")
    hidden = direct.exclude(memberships__user=login)
    assert hidden.exists()
    for room in hidden:
        assert not policies.can_view_room(login, room)
    assert Room.objects.visible_to(login).filter(kind="direct").count() == direct.count() - 1
    assert Room.objects.visible_to(login).filter(kind="group").count() == 2


def test_one_client_room_message_is_logged_to_the_timeline(seeded, db):
    message = Message.objects.get(highlighted_at__isnull=False)
    entry = TimelineEntry.objects.get(kind="chat", data__message=message.pk)
    assert entry.client_id == message.room.client_id
    assert entry.data["room"] == message.room_id


def test_a_sample_of_rows_passes_validation(seeded, db):
    for model in (Room, Message, Membership, Reaction):
        pks = list(model.objects.values_list("pk", flat=True))
        for row in model.objects.filter(pk__in=random.Random(6).sample(pks, min(40, len(pks)))):  # noqa: S311
            row.full_clean()


def test_seeding_again_adds_nothing(seeded, db):
    assert "Chat already there." in seeded.again_output
    assert seeded.again == seeded.made


def test_rooms_people_already_use_keep_their_history(seeded, login, db):
    Room.objects.filter(name=demo.LAUNCH_ROOM).delete()  # the "already there" marker
    sales = Room.objects.get(department__slug="sales")
    message, _ = services.post_message(actor=login, room=sales, body="A real message.")
    before = list(sales.messages.values_list("pk", "seq", "body"))

    made = demo.seed_chat(login.email)

    # Every department, client and direct room has history now: only the groups are new.
    assert made["rooms"] == 2
    assert list(sales.messages.values_list("pk", "seq", "body")) == before
    sales.refresh_from_db()
    assert sales.last_seq == message.seq
