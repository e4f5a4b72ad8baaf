"""Demo chat for ``seed_demo``: rooms and two weeks of conversation over the client book.

``seed_chat`` writes, once: a room per department, a room for 15 of the
busiest clients, a public group room ("Q4 launch") and a private one
("Leadership"), four direct-message rooms (one without the demo login, to
show that DMs stay private), ~300 messages with @mentions, #client chips,
threads, reactions and system lines for real handoffs and won deals of the
book, and read marks that leave the demo login a few unread rooms and one
unread mention. Seeded random and scripted lines (demo/chat_scripts.py,
played by demo/chat_talk.py), so screenshots are stable.

Written with ``bulk_create`` for the reasons given in demo/book.py
(generated history must not notify anyone, publish live events or stamp
``now``), but with the services' invariants: ``seq`` runs 1..``last_seq`` in
each room in time order, thread replies count on their root, ``body_html`` is
``render_markdown`` plus ``decorate_references``, the mention rows are those
``post_message`` would have saved, and a person's read mark is never behind
their own last message.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from chat.events import decorate_references
from chat.models import Membership, Message, Reaction, Room
from demo.chat_scripts import (
    CLIENT,
    CLIENT_NOTES,
    DEPARTMENT_SCRIPTS,
    DIRECT,
    LAUNCH,
    LAUNCH_ASK,
    LEADERSHIP,
    MANAGEMENT,
)
from demo.chat_talk import DAYS, Book, Generator, Plan
from demo.history import markdown
from demo.people import Cast
from records.models import TimelineEntry

EXCHANGES_PER_CLIENT_ROOM = 4
EXCHANGES_PER_DIRECT_ROOM = 4
LAUNCH_ROOM = "Q4 launch"
LEADERSHIP_ROOM = "Leadership"
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


# --- Rooms -----------------------------------------------------------------------------


def _existing(**lookup) -> Room | None:
    """A room made by use before the demo ran: reused when still empty, else left alone."""
    return Room.objects.filter(**lookup).first()


def _department_plans(gen: Generator) -> list[Plan]:
    """A room per department with people in it, talking in the department's script."""
    cast, plans = gen.cast, []
    for slug, department in cast.departments.items():
        people = cast.members[slug]
        if len(people) < 2:
            continue
        room = _existing(department=department) or Room(
            kind=Room.Kind.DEPARTMENT, department=department
        )
        plan = Plan(room, people, people, department=department)
        gen.play(plan, DEPARTMENT_SCRIPTS.get(slug, MANAGEMENT))
        if slug == "sales":
            plan.login_unread = 3
        plans.append(plan)
    return plans


def _client_plans(gen: Generator) -> list[Plan]:
    """Followed by the owner, someone in Support and (a few) the login; Sales and Support talk."""
    cast, rng, plans = gen.cast, gen.rng, []
    support, sales = cast.team("support"), cast.team("sales")
    for number, client in enumerate(gen.book.clients):
        followers = list(dict.fromkeys([client.owner or cast.login, rng.choice(support)]))
        if number < 3 or client.owner == cast.login:
            followers.append(cast.login)
        speakers = list(dict.fromkeys([*followers, rng.choice(sales), rng.choice(support)]))
        room = _existing(client=client) or Room(kind=Room.Kind.CLIENT, client=client)
        plan = Plan(room, speakers, list(dict.fromkeys(followers)), client=client)
        picked = sorted(rng.sample(range(len(CLIENT)), EXCHANGES_PER_CLIENT_ROOM))
        if number == 0 and CLIENT.index(CLIENT_NOTES) not in picked:
            picked = sorted([*picked[1:], CLIENT.index(CLIENT_NOTES)])
        gen.play(plan, [CLIENT[index] for index in picked])
        gen.system_lines(plan)
        plan.lines.sort(key=lambda line: line.at)
        plans.append(plan)
    _leave_unread(plans, cast.login, 2)
    return plans


def _group_plans(gen: Generator) -> list[Plan]:
    cast, rng = gen.cast, gen.rng
    owner = cast.manager("marketing")
    people = [owner, *cast.team("marketing"), *rng.sample(cast.team("sales"), 2), cast.login]
    people = list(dict.fromkeys(people))
    launch = Plan(
        Room(
            kind=Room.Kind.GROUP,
            name=LAUNCH_ROOM,
            description="Everything for the Q4 product launch: dates, copy, training.",
            created_by=owner,
        ),
        [person for person in people if person != cast.login],
        people,
        owner=owner,
    )
    gen.play(launch, LAUNCH)
    gen.exchange(launch, LAUNCH_ASK, gen.now - 2 * HOUR)
    launch.login_unread, launch.login_mentioned = len(LAUNCH_ASK), True
    leaders = [p for p in cast.everyone if p.role == Role.MANAGER] + cast.team("management")
    leaders = list(dict.fromkeys([cast.login, *leaders]))
    leadership = Plan(
        Room(
            kind=Room.Kind.GROUP,
            name=LEADERSHIP_ROOM,
            description="Managers only: plans and numbers before they are announced.",
            is_private=True,
            created_by=cast.login,
        ),
        leaders,
        leaders,
        owner=cast.login,
    )
    gen.play(leadership, LEADERSHIP)
    return [launch, leadership]


def _direct_plans(gen: Generator) -> list[Plan]:
    """The login with the sales lead, the support lead, two sellers; two engineers alone."""
    cast, rng = gen.cast, gen.rng
    sales = [p for p in cast.team("sales") if p != cast.login and p.role == Role.MEMBER]
    support = [p for p in cast.team("support") if p.role == Role.MEMBER]
    groups = [
        [cast.login, cast.manager("sales")],
        [cast.login, cast.manager("support")],
        [cast.login, *sales[:2]],
        support[:2],
    ]
    plans = []
    for people in groups:
        people = sorted(dict.fromkeys(people), key=lambda person: person.pk)
        if len(people) < 2:
            continue
        key = "-".join(str(person.pk) for person in people)
        room = _existing(direct_key=key) or Room(
            kind=Room.Kind.DIRECT, is_private=True, direct_key=key, created_by=people[0]
        )
        plan = Plan(room, people, people)
        gen.play(plan, rng.sample(DIRECT, EXCHANGES_PER_DIRECT_ROOM))
        plans.append(plan)
    _leave_unread(plans, gen.cast.login, 1)
    return plans


def _leave_unread(plans: list[Plan], login, count: int) -> None:
    """Leave ``count`` messages unread for the login in the first of ``plans`` it follows
    where someone else wrote last (posting reads the room: had the login written last,
    nothing would be unread)."""
    for plan in plans:
        if login in plan.followers and plan.lines and plan.lines[-1].author != login:
            plan.login_unread = count
            return


# --- Writing -----------------------------------------------------------------------


def _number(plan: Plan) -> None:
    """Seqs in time order; the room's counters; its creation a while before its first line."""
    plan.lines.sort(key=lambda line: line.at)
    room = plan.room
    for seq, line in enumerate(plan.lines, start=1):
        line.message = Message(
            room=room,
            seq=seq,
            kind=Message.Kind.USER if line.author else Message.Kind.SYSTEM,
            author=line.author,
            parent=line.parent.message if line.parent else None,
            body=line.body,
            body_html=decorate_references(markdown(line.body), line.clients),
            created_at=line.at,
        )
    for line in plan.lines:
        if line.parent is not None:
            root = line.parent.message
            root.reply_count += 1
            root.last_reply_at = line.at
    room.last_seq = len(plan.lines)
    room.last_message_at = plan.lines[-1].at if plan.lines else None
    if room.pk is None:
        room.created_at = plan.lines[0].at - 3 * DAY


def _read_mark(plan: Plan, person: User, cast: Cast, behind: int) -> int:
    """Up to ``behind`` messages unread, never one's own (posting reads the room).

    The login has read every mention of them (or of their departments) except
    in the one room holding their unread mention.
    """
    mark = max(0, plan.room.last_seq - behind)
    check_mentions = person == cast.login and not plan.login_mentioned
    for line in plan.lines:
        if line.author == person or (
            check_mentions and line.mentions_person(person, cast.login_departments)
        ):
            mark = max(mark, line.message.seq)
    return mark


def _memberships(plan: Plan, gen: Generator) -> list[Membership]:
    """Followers (``is_member``), and read-state rows for people who only posted."""
    room, rows = plan.room, []
    posters = {line.author for line in plan.lines if line.author}
    people = list(dict.fromkeys([*plan.followers, *sorted(posters, key=lambda p: p.pk)]))
    for person in people:
        if person == gen.cast.login:
            behind = plan.login_unread
        else:
            behind = 0 if gen.rng.random() < 0.6 else gen.rng.randint(1, 8)
        rows.append(
            Membership(
                room=room,
                user=person,
                role=Membership.Role.OWNER if person == plan.owner else Membership.Role.MEMBER,
                is_member=person in plan.followers,
                last_read_seq=_read_mark(plan, person, gen.cast, behind),
                joined_at=room.created_at,
            )
        )
    return rows


def _write(plans: list[Plan], gen: Generator) -> dict[str, int]:
    for plan in plans:
        _number(plan)
    old = [plan.room for plan in plans if plan.room.pk is not None]
    Room.objects.bulk_update(old, ["last_seq", "last_message_at"])
    Room.objects.bulk_create([plan.room for plan in plans if plan.room.pk is None])
    lines = [line for plan in plans for line in plan.lines]
    # Thread roots first: their replies' parent ids are known once they are in.
    Message.objects.bulk_create([line.message for line in lines if line.parent is None])
    Message.objects.bulk_create([line.message for line in lines if line.parent is not None])
    through = Message.mentions.through, Message.mentioned_departments.through
    through[0].objects.bulk_create(
        through[0](message_id=line.message.pk, user_id=person.pk)
        for line in lines
        for person in dict.fromkeys(line.mentions)
    )
    through[1].objects.bulk_create(
        through[1](message_id=line.message.pk, department_id=department.pk)
        for line in lines
        for department in dict.fromkeys(line.departments)
    )
    Message.clients.through.objects.bulk_create(
        Message.clients.through(message_id=line.message.pk, client_id=client.pk)
        for line in lines
        for client in dict.fromkeys(line.clients)
    )
    reactions = Reaction.objects.bulk_create(
        Reaction(message=line.message, user=person, emoji=emoji, created_at=line.at + 5 * MINUTE)
        for line in lines
        for person, emoji in dict.fromkeys(line.reactions)
    )
    memberships = Membership.objects.bulk_create(
        [row for plan in plans for row in _memberships(plan, gen)], ignore_conflicts=True
    )
    _highlight(plans)
    return {
        "rooms": len(plans),
        "messages": len(lines),
        "reactions": len(reactions),
        "memberships": len(memberships),
    }


def _highlight(plans: list[Plan]) -> None:
    """The call notes of the first client room, logged to the client's timeline."""
    plan = next((plan for plan in plans if plan.client is not None), None)
    lines = plan.lines if plan else []
    notes = next((line for line in lines if line.body.startswith("Notes from")), None)
    if notes is None:
        return
    message = notes.message
    actor = plan.followers[0]
    message.highlighted_at = notes.at + 30 * MINUTE
    Message.objects.filter(pk=message.pk).update(highlighted_at=message.highlighted_at)
    TimelineEntry.objects.create(
        client=plan.client,
        kind=TimelineEntry.Kind.CHAT,
        actor=actor,
        summary=f"{actor} highlighted a chat message by {message.author}",
        body=message.body,
        body_html=message.body_html,
        data={"room": plan.room.pk, "message": message.pk},
        created_at=message.highlighted_at,
    )


@transaction.atomic
def seed_chat(login_email: str) -> dict[str, int]:
    """Write the demo chat once; returns what it made (nothing when it is there already).

    The chat is there when the "Q4 launch" room is. Department, client and
    direct rooms that people already use keep their history untouched; empty
    ones are filled.
    """
    if Room.objects.filter(kind=Room.Kind.GROUP, name=LAUNCH_ROOM).exists():
        return {}
    now = timezone.now()
    cast = Cast.load(login_email)
    gen = Generator(cast, Book.load(now - DAYS * DAY), now)
    plans = [
        *_department_plans(gen),
        *_client_plans(gen),
        *_group_plans(gen),
        *_direct_plans(gen),
    ]
    plans = [plan for plan in plans if plan.room.pk is None or plan.room.last_seq == 0]
    return _write(plans, gen)
