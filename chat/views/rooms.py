"""Chat pages: the room list, a room, the sidebar's rooms, the client page's panel;
creating rooms and direct messages, joining, leaving, members, read marks.

Every lookup goes through ``chat.policies.access_*`` (one 404 for missing and
forbidden) and every write through ``chat.services``. Writes from buttons use
records' ``run_write``: htmx gets the live event the write published, a plain
post goes back to the page, a refusal answers 403/422 with its reason.
"""

from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Department, User
from accounts.selectors import people_matching
from chat import events, policies, selectors, services
from chat.forms import DirectForm, MembersForm, RoomForm
from chat.models import MESSAGE_MAX_LENGTH, Message, Room
from records import policies as record_policies
from records.models import Client
from workspace.forms import call_service
from workspace.htmx import refused, run_write
from workspace.live.templatetags.live import live_since

ROOM = "chat/room.html"
SUGGESTIONS = 8
SECTIONS = (
    (Room.Kind.DEPARTMENT, "Departments"),
    (Room.Kind.GROUP, "Rooms"),
    (Room.Kind.DIRECT, "Direct messages"),
    (Room.Kind.CLIENT, "Clients"),
)


def room_url(room) -> str:
    return reverse("chat:room", args=[room.pk])


def _open_department_rooms(user) -> None:
    """A department's room is made the first time one of its people opens chat."""
    for department in selectors.unfollowed_departments(user):
        services.open_department_room(department=department)


# --- The room list and the sidebar --------------------------------------------------


@require_GET
def home(request):
    _open_department_rooms(request.user)
    drawn = live_since()  # before reading: what the badges show is at least this recent
    rooms = selectors.room_list(request.user)
    sections = [
        (kind, label, [room for room in rooms if room.kind == kind]) for kind, label in SECTIONS
    ]
    context = {
        "sections": sections,
        "public_rooms": selectors.public_rooms(request.user),
        "drawn": drawn,
    }
    return render(request, "chat/home.html", context)


@require_GET
def sidebar(request):
    """The sidebar's room list, loaded after the page (other pages' queries stay the same).

    Entries carry ``data-live-id``: the event log's end before they were read. The
    tab replays a few seconds of recent events (workspace/live/replay.py); an older
    "room added" or "read" event must not redraw an entry with stale counts.
    """
    if not request.htmx:
        return redirect("chat:home")
    _open_department_rooms(request.user)
    drawn = live_since()
    rooms = selectors.room_list(request.user, limit=selectors.SIDEBAR_ROOMS)
    context = {"entries": _entries(rooms), "drawn": drawn}
    return render(request, "chat/sidebar.html#sidebar", context)


def _entries(rooms) -> list[dict]:
    return [
        {
            "room": room,
            "title": room.title,
            "icon": room.icon,
            "unread": room.unread,
            "mentions": room.mentions,
        }
        for room in rooms
    ]


# --- A room ---------------------------------------------------------------------------


@require_GET
def room(request, pk):
    room = policies.access_room(request.user, pk)
    page, focus = _page(request, room)
    thread_root, replies = _thread(request, room)
    context = room_context(request.user, room, page) | {
        "focus": focus,
        "thread_root": thread_root,
        "replies": replies,
    }
    return render(request, ROOM, context)


def _page(request, room) -> tuple[selectors.MessagePage, int | None]:
    """The latest messages, or a window around ``?message=`` (a jump from search or a
    notification; a reply shows its thread root, the reply itself in the thread)."""
    wanted = request.GET.get("message")
    if not wanted:
        return selectors.latest_messages(room), None
    message = policies.access_message(request.user, wanted)
    if message.room_id != room.pk:
        raise Http404("No such message in this room.")
    return selectors.messages_around(room, message), message.pk


def _thread(request, room):
    """The thread panel's root and replies (``?thread=``, or a jump to a reply)."""
    wanted = request.GET.get("thread") or _jumped_reply_root(request)
    if not wanted:
        return None, []
    message = policies.access_message(request.user, wanted)
    if message.room_id != room.pk:
        raise Http404("No such thread in this room.")
    return selectors.thread(message.parent_id or message.pk)


def _jumped_reply_root(request):
    """A jump to a thread reply opens its thread too."""
    wanted = request.GET.get("message", "")
    if not wanted.isdigit():
        return None
    return Message.objects.filter(pk=wanted).values_list("parent_id", flat=True).first()


def room_context(user, room, page) -> dict:
    """What a room's page and the client page's panel draw around the messages."""
    read = selectors.read_seq(room, user)
    return {
        "room": room,
        "title": selectors.room_title(room, user),
        "members": selectors.room_members(room),
        "page": page,
        "read_seq": read,
        "divider": selectors.first_unread_seq(page.messages, read, user)
        if page.at_latest
        else None,
        "can_post": policies.can_post(user, room),
        "can_join": policies.can_join(user, room),
        "can_leave": policies.can_leave(user, room),
        "can_manage": policies.can_manage_members(user, room),
        "can_moderate": policies.can_moderate(user, room),
        "max_length": MESSAGE_MAX_LENGTH,
        "topic": events.room_topic(room.pk),
    }


# --- The client page's panel -----------------------------------------------------------


@require_GET
def client_panel(request, pk):
    """The client's room in a card of the client page (loaded after the page)."""
    client = record_policies.access_client(request.user, pk)
    if not request.htmx:
        return redirect(room_url(services.open_client_room(client=client)))
    room = services.open_client_room(client=client)
    room = policies.access_room(request.user, room.pk)
    page = selectors.latest_messages(room, size=selectors.PANEL_SIZE)
    return render(request, f"{ROOM}#panel", room_context(request.user, room, page))


# --- Creating rooms and direct messages ---------------------------------------------------


def _posted(request):
    """The form's data: a POST binds the form even when it is empty (nobody picked)."""
    return request.POST if request.method == "POST" else None


def room_new(request):
    form = RoomForm(_posted(request), viewer=request.user)
    if request.method == "POST" and form.is_valid():
        created = call_service(
            form,
            lambda: services.create_room(
                actor=request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                private=form.cleaned_data["private"],
                members=form.cleaned_data["members"],
            ),
        )
        if created is not None:
            return redirect(room_url(created))
    status = 422 if form.errors else 200
    return render(request, "chat/room_form.html", {"form": form, "kind": "room"}, status=status)


def direct_new(request):
    form = DirectForm(_posted(request), viewer=request.user)
    if request.method == "POST" and form.is_valid():
        room = call_service(
            form,
            lambda: services.open_direct(actor=request.user, people=form.cleaned_data["people"]),
        )
        if room is not None:
            return redirect(room_url(room))
    status = 422 if form.errors else 200
    return render(request, "chat/room_form.html", {"form": form, "kind": "direct"}, status=status)


# --- Following, members, read marks ----------------------------------------------------------


def _room_write(request, room, service, *, forbidden: str, page_url: str | None = None):
    return run_write(
        request,
        service,
        topic=events.room_topic(room.pk),
        page_url=page_url or room_url(room),
        forbidden=forbidden,
    )


@require_POST
def join(request, pk):
    room = policies.access_room(request.user, pk)
    return _room_write(
        request,
        room,
        lambda: services.join_room(actor=request.user, room=room),
        forbidden="You cannot join this room.",
    )


@require_POST
def leave(request, pk):
    """Leave; a private room is then out of reach, so the answer is the room list."""
    room = policies.access_room(request.user, pk)
    after = reverse("chat:home") if room.is_private else room_url(room)
    return _room_write(
        request,
        room,
        lambda: services.leave_room(actor=request.user, room=room),
        forbidden="You cannot leave this room.",
        page_url=after,
    )


def members_add(request, pk):
    """GET: the "add people" form (owners and admins). POST: add them."""
    room = policies.access_room(request.user, pk)
    if not policies.can_manage_members(request.user, room):
        return refused(
            request, "Only the room's owners can add people.", 403, page_url=room_url(room)
        )
    current = [person.pk for person in selectors.room_members(room)]
    form = MembersForm(_posted(request), exclude=current)
    if request.method != "POST":
        context = {"form": form, "kind": "members", "room": room}
        return render(request, "chat/room_form.html", context)
    if not form.is_valid():
        reason = " ".join(error for errors in form.errors.values() for error in errors)
        return refused(request, reason or "Pick people to add.", 422, page_url=room_url(room))
    return _room_write(
        request,
        room,
        lambda: services.add_members(
            actor=request.user, room=room, people=form.cleaned_data["people"]
        ),
        forbidden="Only the room's owners can add people.",
    )


@require_POST
def members_remove(request, pk, person):
    room = policies.access_room(request.user, pk)
    member = User.objects.filter(pk=person).first()
    if member is None:
        raise Http404("No such person.")
    return _room_write(
        request,
        room,
        lambda: services.remove_member(actor=request.user, room=room, person=member),
        forbidden="Only the room's owners can remove people.",
    )


@require_POST
def mark_read(request, pk):
    """The HTTP twin of the socket's ``chat.read`` (used while the socket is down)."""
    room = policies.access_room(request.user, pk)
    seq = request.POST.get("seq", "")
    if seq and not seq.isdigit():
        return refused(request, "Say up to which message (a number).", 422, page_url=room_url(room))
    return run_write(
        request,
        lambda: services.mark_read(actor=request.user, room=room, seq=int(seq) if seq else None),
        topic=events.user_topic(request.user.pk),
        page_url=room_url(room),
        forbidden="You cannot read this room.",
    )


# --- Composer suggestions -------------------------------------------------------------------


@require_GET
def suggest(request):
    """``@``: people and departments; ``#`` (``kind=clients``): clients. JSON for chat.js."""
    query = " ".join(request.GET.get("q", "").split())[:60]
    if request.GET.get("kind") == "clients":
        return JsonResponse({"items": _client_suggestions(query)})
    return JsonResponse({"items": _people_suggestions(query)})


def _people_suggestions(query: str) -> list[dict]:
    people = people_matching(query).order_by("full_name")[:SUGGESTIONS]
    items = [
        {
            "insert": person.full_name or person.email.split("@")[0],
            "label": person.full_name or person.email,
            "detail": person.email,
            "initials": person.initials,
            "colour": person.avatar_colour,
        }
        for person in people
    ]
    departments = Department.objects.filter(Q(name__icontains=query) | Q(slug__istartswith=query))
    for department in departments.order_by("name")[:4]:
        items.append(
            {
                "insert": department.slug,
                "label": department.name,
                "detail": f"Everyone in {department.name}",
                "initials": "#",
                "colour": 7,
            }
        )
    return items


def _client_suggestions(query: str) -> list[dict]:
    clients = Client.objects.filter(merged_into__isnull=True, archived=False)
    for word in query.split():
        clients = clients.filter(name__icontains=word)
    return [
        {
            "insert": f"[{client.name}]",
            "label": client.name,
            "detail": client.domain,
            "initials": client.name[:1].upper(),
            "colour": client.pk % 8,
        }
        for client in clients.order_by("name")[:SUGGESTIONS]
    ]
