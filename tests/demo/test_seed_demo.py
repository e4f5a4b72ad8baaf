"""manage.py seed_demo: the demo company, its book, chat and calendars, safe to run again.

One seeding for the whole module (tests/demo/seeding.py): the demo, the demo
again, then ``--scale``. The command's other runs here (refused, with DEBUG on,
after a person changed their name) meet a demo that is already there, so they
write nothing new and take a fraction of a second.
"""

import random
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError
from django.db.models import Count, F, Max, Min, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Department, Notification, Role, User
from calendar_app import policies as calendar_policies
from calendar_app import selectors as calendar_selectors
from calendar_app.models import Attendee, Event
from calendar_app.recurrence import format_utc, last_end, occurrence_at, zone
from chat import policies as chat_policies
from chat import services as chat_services
from chat.models import Membership, Message, Reaction, Room
from demo.book_scale import long_timeline
from demo.chat_rooms import LAUNCH_ROOM, seed_chat
from demo.chat_talk import CLIENT_ROOMS, DAYS
from demo.meeting_planner import working
from demo.meetings import CLIENT_MEETINGS, marker_uid
from demo.people import DEMO_PASSWORD, Cast
from marketing.channels import channels
from marketing.models import Attribution, Campaign, Consent, Recipient, Submission, Touch
from marketing.selectors.roi import campaign_results
from records.models import (
    ChecklistItem,
    Client,
    Comment,
    Contact,
    Deal,
    FieldChange,
    Handoff,
    Priority,
    Task,
    Ticket,
    TimelineEntry,
)
from reports.filters import read_filters
from reports.models import ClientHealth
from tests.demo.seeding import SCALE, counts, seed, seeded_once
from workspace.live.models import Event as LiveEvent

SEEDED = {"sales", "marketing", "support", "management"}
MONTH = timedelta(days=30)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with seeded_once(django_db_blocker) as seeded:
        yield seeded


@pytest.fixture
def login(seeded):
    return seeded.login


@pytest.fixture
def sync(seeded):
    return Event.objects.get(uid=marker_uid(), series=None)


def sample(model, size: int = 40) -> list:
    pks = list(model.objects.values_list("pk", flat=True))
    chosen = random.Random(4).sample(pks, min(size, len(pks)))  # noqa: S311
    return list(model.objects.filter(pk__in=chosen))


# --- The command and the people -----------------------------------------------------------


def test_refuses_with_debug_off_unless_allowed(seeded, settings, db):
    settings.DEBUG = False
    before = counts()
    with pytest.raises(CommandError, match="--allow-production"):
        seed(allow_production=False)
    assert counts() == before


def test_runs_with_debug_on(seeded, settings, db):
    settings.DEBUG = True
    output = seed(allow_production=False)
    assert "Demo data ready" in output
    assert User.objects.count() >= 12


def test_seeding_again_changes_nothing(seeded, db):
    assert "(0 new)" in seeded.again_output
    assert "(0 new)" not in seeded.output
    assert "Client book already there." in seeded.again_output
    assert "Chat already there." in seeded.again_output
    assert "Calendar already there." in seeded.again_output
    assert seeded.again == seeded.made


def test_the_people_are_realistic(seeded, db):
    assert {d.slug for d in Department.objects.all()} >= SEEDED
    people = User.objects.prefetch_related("departments")
    assert people.count() >= 12
    per_department = dict(
        Department.objects.filter(slug__in=SEEDED)
        .annotate(n=Count("members"))
        .values_list("slug", "n")
    )
    assert set(per_department) == SEEDED
    assert all(n >= 2 for n in per_department.values()), per_department

    timezones = zoneinfo.available_timezones()
    for person in people:
        assert person.timezone in timezones
        assert person.full_name
        assert person.departments.exists()
        assert person.work_end > person.work_start
        assert EmailAddress.objects.get(user=person).verified
    assert {p.timezone for p in people} != {"UTC"}  # a spread of real time zones
    assert people.filter(role=Role.ADMIN, is_active=True).exists()
    assert people.filter(role=Role.MANAGER).count() >= 2


def test_the_printed_demo_login_works(seeded, client, db):
    email = seeded.output.split("Sign in as ")[1].split()[0]
    assert DEMO_PASSWORD in seeded.output
    assert client.login(email=email, password=DEMO_PASSWORD)
    assert User.objects.get(email=email).is_admin


def test_keeps_changes_people_made_to_demo_accounts(seeded, db):
    person = User.objects.get(email="diego@northwind.example")
    person.full_name = "Diego A."
    person.save()
    seed()
    assert User.objects.get(email="diego@northwind.example").full_name == "Diego A."


# --- The client book ------------------------------------------------------------------------


def test_the_book_has_the_promised_records(seeded, db):
    assert "Client book: 320 clients" in seeded.output
    made = seeded.made
    assert made["Client"] >= 300
    assert 900 <= made["Contact"] <= 1200
    assert 350 <= made["Deal"] <= 450
    assert 450 <= made["Ticket"] <= 550
    assert made["Comment"] >= 500
    assert made["TimelineEntry"] > made["Client"] + made["Contact"] + made["Deal"]
    assert made["FieldChange"] > made["Deal"]
    assert set(Client.objects.values_list("lifecycle", flat=True)) == set(Client.Lifecycle)
    assert set(Client.objects.values_list("source", flat=True)) == set(Client.Source)
    assert set(Deal.objects.values_list("status", flat=True)) == set(Deal.Status)
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Ticket.Status)
    assert set(Ticket.objects.values_list("priority", flat=True)) == set(Priority)
    assert set(Ticket.objects.values_list("channel", flat=True)) == set(Ticket.Channel)
    kinds = set(TimelineEntry.objects.values_list("kind", flat=True))
    assert {*TimelineEntry.ACTIVITIES, "created", "field", "comment", "deal", "ticket"} <= kinds


def test_every_client_counts_its_open_deals_and_tickets(seeded, db):
    """The book's deals and tickets are bulk rows: the counters the lists sort by
    (records/services/counts.py) are set after them, for the scaled clients too."""
    unresolved = ~Q(tickets__status__in=Ticket.RESOLVED)
    counted = Client.objects.annotate(
        deals_open=Count("deals", filter=Q(deals__status=Deal.Status.OPEN), distinct=True),
        tickets_open=Count("tickets", filter=unresolved, distinct=True),
    )
    assert not counted.exclude(open_deal_count=F("deals_open")).exists()
    assert not counted.exclude(open_ticket_count=F("tickets_open")).exists()
    assert Client.objects.filter(open_deal_count__gt=0).count() > 100
    assert Client.objects.filter(open_ticket_count__gt=0).count() > 20


def test_the_book_looks_like_a_year_of_work(seeded, db):
    assert not Deal.objects.filter(status="lost", loss_reason=None).exists()
    closed_months = {d.closed_at.strftime("%Y-%m") for d in Deal.objects.exclude(status="open")}
    assert len(closed_months) >= 11
    assert Ticket.objects.filter(resolved_at__gt=F("sla_due")).exists()  # breached SLAs
    assert Ticket.objects.filter(resolved_at__lte=F("sla_due")).exists()
    rated = Ticket.objects.exclude(satisfaction=None)
    assert rated.exists()
    assert not rated.exclude(status__in=Ticket.RESOLVED).exists()
    owners = Client.objects.values_list("owner__departments__slug", flat=True)
    assert {"sales", "support"} <= set(owners)


def test_the_book_has_tasks_and_handoffs_in_every_state(seeded, db):
    assert "312 tasks, 96 checklist items, 162 handoffs" in seeded.output
    tasks = Task.objects.all()
    assert set(tasks.values_list("status", flat=True)) == set(Task.Status) - {"cancelled"}
    assert tasks.filter(recurrence="weekly").exists()
    assert any(task.is_overdue for task in tasks)
    assert tasks.exclude(assigned_by=None).exclude(assignee=F("assigned_by")).exists()
    assert ChecklistItem.objects.filter(done=True).exists()
    assert set(Handoff.objects.values_list("status", flat=True)) == set(Handoff.Status)
    assert not Handoff.objects.filter(status="accepted", task=None).exists()
    for handoff in Handoff.objects.all():
        assert TimelineEntry.objects.filter(handoff=handoff, kind="handoff").exists()


def test_the_year_feeds_the_reports(seeded, db):
    """Issue 16: handoffs and tasks span the year, handoffs lead to won deals, some tasks
    were done late, win rate and first responses improve, and some clients are at risk."""
    now = timezone.now()
    span = Handoff.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
    first, last = span["first"], span["last"]
    assert (last - first).days > 300
    assert 120 <= Handoff.objects.count() <= 200
    assert Handoff.objects.exclude(escalated_at=None).exclude(answered_at=None).exists()
    led = Handoff.objects.led_to_deal()
    assert led.count() >= 20
    won = Deal.objects.filter(status="won", client__handoffs__in=led).distinct()
    assert won.exists()
    done = Task.objects.filter(status="done")
    assert done.filter(completed_at__gt=F("due_at")).count() >= 20  # late
    assert done.filter(completed_at__lte=F("due_at")).count() > done.count() / 2  # mostly on time
    assert (now - done.aggregate(first=Min("due_at"))["first"]).days > 300
    assert win_rate(now, 12, 9) < win_rate(now, 3, 0)
    assert response_hours(now, 12, 9) > response_hours(now, 3, 0)
    scored = ClientHealth.objects.count()
    assert "Client health: " in seeded.output
    assert 0.02 * scored <= ClientHealth.objects.filter(at_risk=True).count() <= 0.1 * scored


def _between(now, field: str, older: int, newer: int) -> Q:
    """``field`` between ``older`` and ``newer`` months (of 30 days) ago."""
    return Q(**{f"{field}__gte": now - older * MONTH, f"{field}__lt": now - newer * MONTH})


def win_rate(now, older: int, newer: int) -> float:
    closed = Deal.objects.filter(_between(now, "closed_at", older, newer))
    return closed.filter(status="won").count() / closed.count()


def response_hours(now, older: int, newer: int) -> float:
    tickets = Ticket.objects.filter(_between(now, "created_at", older, newer))
    waits = [
        (ticket.first_response_at - ticket.created_at).total_seconds() / 3600
        for ticket in tickets.exclude(first_response_at=None)
    ]
    return sum(waits) / len(waits)


def test_mentions_name_real_demo_people(seeded, db):
    mentioned = Comment.objects.annotate(people=Count("mentions")).filter(people__gt=0)
    assert mentioned.count() >= 50
    for comment in mentioned[:10]:
        for person in comment.mentions.all():
            assert f"@{person.full_name}" in comment.body


def test_timeline_entries_link_their_audit_rows(seeded, db):
    moves = TimelineEntry.objects.filter(kind="deal").exclude(data={})[:20]
    assert moves
    for entry in moves:
        change = FieldChange.objects.get(pk=entry.data["change"])
        assert (change.object_id, change.field) == (entry.deal_id, "stage")


def test_a_sample_of_generated_rows_passes_validation(seeded, db):
    for model in (Client, Contact, Deal, Ticket, Comment, TimelineEntry, FieldChange, Task):
        rows = sample(model)
        assert rows
        for row in rows:
            row.full_clean()


def test_scale_adds_clients_with_contacts_timeline_deals_and_tickets(seeded, db):
    before, after = seeded.again, seeded.scaled
    assert f"Scale: {SCALE} clients, 150 contacts, 50 deals, 5 tickets" in seeded.scale_output
    assert after["Client"] - before["Client"] == SCALE
    assert after["Contact"] - before["Contact"] == 3 * SCALE
    # three per client, and one per new deal and ticket
    assert after["TimelineEntry"] - before["TimelineEntry"] == 3 * SCALE + 50 + 5
    new = Client.objects.annotate(
        contact_count=Count("contacts", distinct=True), entry_count=Count("timeline", distinct=True)
    ).order_by("-pk")[:SCALE]
    assert {client.contact_count for client in new} == {3}
    assert min(client.entry_count for client in new) >= 3
    assert Deal.objects.filter(client__in=new, status="open").count() == 50


def test_long_timeline_tops_up_one_client(seeded, db):
    client = Client.objects.order_by("pk").first()
    before = client.timeline.count()

    long_timeline(client, 30)

    assert client.timeline.count() == before + 30


# --- The chat ----------------------------------------------------------------------------------


def unread(person: User) -> dict[Room, int]:
    """Unread messages per followed room, as the sidebar counts them."""
    rows = Membership.objects.filter(user=person, is_member=True).select_related("room")
    return {
        row.room: row.room.last_seq - row.last_read_seq
        for row in rows
        if chat_policies.can_view_room(person, row.room)
    }


def test_seeding_reports_and_makes_every_kind_of_room(seeded, db):
    assert f"Chat: {seeded.made['Room']} rooms, {seeded.made['Message']} messages" in seeded.output
    kinds = dict(Room.objects.values_list("kind").annotate(n=Count("pk")))
    assert kinds["department"] == Department.objects.count()
    assert kinds["client"] == CLIENT_ROOMS
    assert kinds["direct"] >= 3
    groups = Room.objects.filter(kind="group")
    assert sorted(groups.values_list("is_private", flat=True)) == [False, True]
    assert 250 <= seeded.made["Message"] <= 350
    assert seeded.made["Reaction"] > 50


def test_conversations_span_two_weeks_with_threads_mentions_chips_and_system_lines(seeded, db):
    now = timezone.now()
    messages = Message.objects.all()
    assert not messages.filter(created_at__gt=now).exists()
    assert not messages.filter(created_at__lt=now - timedelta(days=DAYS + 1)).exists()
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
        draft = chat_services._draft(message.body)
        assert message.body_html == draft.html
        assert set(message.clients.all()) == set(draft.clients)
        if message.kind == "user":
            assert set(message.mentioned_departments.all()) == set(draft.departments)
            expected = chat_services._mentioned(message.room, draft, message.author)
            assert set(message.mentions.all()) == set(expected), message.body
        else:
            assert message.author is None
            assert not message.mentions.exists()


def test_every_author_could_post_and_every_reaction_could_be_made(seeded, db):
    for message in Message.objects.filter(kind="user").select_related("room", "author"):
        assert chat_policies.can_post(message.author, message.room), message
    for reaction in Reaction.objects.select_related("message__room", "user"):
        assert chat_policies.can_react(reaction.user, reaction.message)
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
    assert unread_mentions[0].room.name == LAUNCH_ROOM


def test_the_login_can_sign_in_and_sees_rooms_but_not_others_direct_messages(
    seeded, login, client, db
):
    assert client.login(email=login.email, password=DEMO_PASSWORD)
    direct = Room.objects.filter(kind="direct")
    hidden = direct.exclude(memberships__user=login)
    assert hidden.exists()
    for room in hidden:
        assert not chat_policies.can_view_room(login, room)
    assert Room.objects.visible_to(login).filter(kind="direct").count() == direct.count() - 1
    assert Room.objects.visible_to(login).filter(kind="group").count() == 2


def test_one_client_room_message_is_logged_to_the_timeline(seeded, db):
    message = Message.objects.get(highlighted_at__isnull=False)
    entry = TimelineEntry.objects.get(kind="chat", data__message=message.pk)
    assert entry.client_id == message.room.client_id
    assert entry.data["room"] == message.room_id


def test_a_sample_of_chat_rows_passes_validation(seeded, db):
    for model in (Room, Message, Membership, Reaction):
        for row in sample(model):
            row.full_clean()


def test_rooms_people_already_use_keep_their_history(seeded, login, db):
    Room.objects.filter(name=LAUNCH_ROOM).delete()  # the "already there" marker
    sales = Room.objects.get(department__slug="sales")
    message, _ = chat_services.post_message(actor=login, room=sales, body="A real message.")
    before = list(sales.messages.values_list("pk", "seq", "body"))

    made = seed_chat(login.email)

    # Every department, client and direct room has history now: only the groups are new.
    assert made["rooms"] == 2
    assert list(sales.messages.values_list("pk", "seq", "body")) == before
    sales.refresh_from_db()
    assert sales.last_seq == message.seq


# --- The calendars -----------------------------------------------------------------------------


def test_seeding_reports_what_it_made_and_publishes_nothing(seeded, db):
    assert f"Calendar: {Event.objects.filter(series=None).count()} events" in seeded.output
    assert (
        seeded.live_events == 0
        or not LiveEvent.objects.filter(topic__startswith="calendar.").exists()
    )
    assert 20 <= Event.objects.filter(series=None).count() <= 40


def test_every_event_has_its_organizer_row_and_a_last_end_as_the_services_compute(seeded, db):
    organizer_rows = Count("attendees", filter=Q(attendees__is_organizer=True))
    events = Event.objects.annotate(organizers=organizer_rows).select_related("organizer")
    for event in events:
        assert event.organizers == 1, event
        row = event.attendees.get(is_organizer=True)
        assert (row.user_id, row.response) == (event.organizer_id, Attendee.Response.ACCEPTED)
        assert event.last_end == last_end(event), event
        assert event.timezone == event.organizer.timezone


def test_the_sales_sync_has_a_deleted_and_a_moved_occurrence(sync, db):
    assert sync.is_recurring and sync.rrule.startswith("FREQ=WEEKLY")
    assert len(sync.exdates) == 1
    deleted = datetime.strptime(sync.exdates[0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert not occurrence_at(sync, deleted)
    moved = sync.overrides.get()
    assert moved.uid == sync.uid and moved.title != sync.title
    assert occurrence_at(sync, moved.recurrence_id)
    assert moved.start.date() != moved.recurrence_id.date()
    assert set(moved.attendees.values_list("user", "response")) == set(
        sync.attendees.values_list("user", "response")
    )
    assert sync.sequence == 2
    # Every occurrence at the same wall-clock time in the organizer's zone.
    entries = calendar_selectors.calendar_occurrences(
        [sync.organizer_id], sync.start, sync.start + timedelta(weeks=6)
    )
    starts = [e.occurrence.start for e in entries if e.event.uid == sync.uid]
    assert format_utc(deleted) not in {format_utc(start) for start in starts}
    assert moved.start in starts
    local = {s.astimezone(zone(sync.timezone)).time() for s in starts if s != moved.start}
    assert len(local) == 1


def test_the_login_has_a_full_fortnight_with_an_open_ended_one_to_one(seeded, login, db):
    now = timezone.now()
    entries = calendar_selectors.calendar_occurrences(
        [login.pk], now - timedelta(days=7), now + timedelta(days=7)
    )
    assert len(entries) >= 10  # 11 to 13, by the day of the week
    one_to_one = Event.objects.get(organizer=login, rrule__startswith="FREQ=WEEKLY", series=None)
    assert one_to_one.last_end is None


def test_meeting_times_respect_the_organizers_working_hours_and_avoid_double_booking(seeded, db):
    now = timezone.now()
    people = list(User.objects.filter(is_active=True).values_list("pk", flat=True))
    entries = calendar_selectors.calendar_occurrences(
        people, now - timedelta(days=10), now + timedelta(days=10)
    )
    for entry in entries:
        event = entry.event
        if event.all_day:
            continue
        assert working(event.organizer, entry.occurrence.start, event.duration), event
        assert entry.occurrence.start.astimezone(zone(event.timezone)).weekday() < 5
    busy = calendar_selectors.busy_blocks(
        [User.objects.get(email=Cast.load("").login.email).pk],
        now - timedelta(days=10),
        now + timedelta(days=10),
    )
    assert busy


def test_client_meetings_invite_contacts_and_show_in_the_timeline(seeded, db):
    meetings = Event.objects.filter(client__isnull=False, visibility="normal").select_related(
        "client"
    )
    assert meetings.count() == CLIENT_MEETINGS
    assert meetings.filter(deal__isnull=False, deal__client=F("client")).exists()
    for event in meetings:
        guests = event.attendees.filter(user=None)
        assert guests.exists()
        for guest in guests:
            assert guest.contact.client_id == event.client_id
            assert guest.email in [email.lower() for email in guest.contact.emails]
        entry = TimelineEntry.objects.get(kind="meeting", data__event=event.pk)
        assert entry.client_id == event.client_id and event.title in entry.summary
        assert entry.actor_id == event.organizer_id


def test_a_private_client_lunch_leaves_no_title_in_the_timeline(seeded, login, db):
    lunch = Event.objects.get(client__isnull=False, visibility="private")
    entry = TimelineEntry.objects.get(
        kind="meeting", client=lunch.client, summary__contains="a private meeting"
    )
    assert entry.data == {"private_event": lunch.pk} and lunch.title not in entry.summary


def test_the_offsite_is_all_day_from_local_midnight(seeded, db):
    offsite = Event.objects.get(all_day=True)
    local = offsite.start.astimezone(zone(offsite.timezone))
    assert (local.hour, local.minute) == (0, 0)
    assert local.weekday() == 3  # Thursday and Friday
    assert abs(offsite.duration - timedelta(days=2)) <= timedelta(hours=1)  # one DST change
    assert offsite.attendees.filter(user__isnull=False).count() >= 8


def test_the_dentist_is_private_to_the_login(seeded, login, db):
    dentist = Event.objects.get(title="Dentist")
    assert dentist.organizer == login and dentist.is_private
    colleague = User.objects.exclude(pk=login.pk).first()
    assert calendar_selectors.shown_title(colleague, dentist) == calendar_selectors.BUSY_TITLE
    assert not calendar_policies.can_see_details(colleague, dentist)


def test_the_login_has_unanswered_invitations_in_the_bell(seeded, login, db):
    pending = Attendee.objects.filter(user=login, response=Attendee.Response.NEEDS_ACTION)
    assert pending.count() == 3
    now = timezone.now()
    for row in pending.select_related("event"):
        assert row.event.start > now and row.event.organizer != login
        assert calendar_policies.can_rsvp(login, row.event)
    bell = Notification.objects.filter(recipient=login, kind="event-invite", read_at=None)
    assert bell.count() == 3
    for notification in bell:
        assert notification.link.startswith("/calendar/events/")
        assert "invited you to" in notification.text
        notification.full_clean()


def test_others_answer_in_every_way(seeded, login, db):
    answers = set(Attendee.objects.exclude(user=login).values_list("response", flat=True))
    assert answers == set(Attendee.Response.values)


def test_future_reminders_are_planned(seeded, db):
    planned = Event.objects.filter(reminder_minutes__isnull=False, reminder_at__isnull=False)
    assert planned.exists()
    assert not planned.filter(reminder_at__lt=timezone.now() - timedelta(minutes=1)).exists()


def test_a_sample_of_calendar_rows_passes_validation(seeded, db):
    for model in (Event, Attendee):
        for row in sample(model):
            row.full_clean()


# --- The admin, on the demo's calendars --------------------------------------------------------


def test_the_admin_shows_events_view_only_and_never_private_ones(seeded, login, client, db):
    client.force_login(login)  # the demo login is a superuser
    changelist = reverse("admin:calendar_app_event_changelist")
    page = client.get(changelist)
    assert page.status_code == 200
    shown = set(page.context["cl"].queryset.values_list("pk", flat=True))
    assert shown == set(Event.objects.filter(visibility="normal").values_list("pk", flat=True))
    assert "Dentist" not in client.get(changelist, {"q": "dentist"}).text
    assert client.get(changelist, {"q": "sync", "status__exact": "confirmed"}).status_code == 200
    sync = Event.objects.get(uid=marker_uid(), series=None)
    detail = client.get(reverse("admin:calendar_app_event_change", args=[sync.pk]))
    assert detail.status_code == 200 and sync.organizer.full_name in detail.text
    assert 'name="_save"' not in detail.text  # view-only
    private = Event.objects.get(title="Dentist")
    hidden = client.get(reverse("admin:calendar_app_event_change", args=[private.pk]))
    assert hidden.status_code == 302  # the admin's "no such object": back to the list
    assert client.get(reverse("admin:calendar_app_event_add")).status_code == 403


def test_the_admin_can_revoke_a_subscription_link(seeded, login, client, db):
    from calendar_app.feeds import create_feed, find_feed

    token = create_feed(actor=login)
    feed = find_feed(token)
    client.force_login(login)
    page = client.get(reverse("admin:calendar_app_calendarfeed_changelist"))
    assert page.status_code == 200 and token not in page.text and feed.token_hash not in page.text
    delete = reverse("admin:calendar_app_calendarfeed_delete", args=[feed.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert find_feed(token) is None


# --- Marketing ----------------------------------------------------------------------------


def test_marketing_is_seeded_once_with_sources_campaigns_and_submissions(seeded, db):
    assert "Marketing already there." in seeded.again_output
    assert set(Touch.objects.values_list("channel", flat=True)) == set(Touch.Channel.values)
    assert Attribution.objects.filter(contact__isnull=False).count() > 1000
    assert Attribution.objects.filter(deal__isnull=False).count() > 300
    launch = Campaign.objects.get(name="Spring product launch")
    results = campaign_results(launch)
    assert results.won_revenue > 0 and results.roi > 0
    states = set(Recipient.objects.filter(campaign=launch).values_list("state", flat=True))
    assert {"sent", "skipped", "failed"} <= states
    assert Submission.objects.filter(routed_to__isnull=False).count() > 50
    report = channels(read_filters(seeded.login, {})[0])
    assert {row["channel"] for row in report.rows} == {
        "Direct",
        "Tracked link",
        "Web form",
        "Email campaign",
    }


def test_a_sample_of_marketing_rows_passes_validation(seeded, db):
    for model in (Consent, Recipient, Submission, Touch):
        for row in sample(model, 15):
            row.full_clean()
