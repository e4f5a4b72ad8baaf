"""The frames chat takes over the tab's one socket (DESIGN §2; workspace/live/actions.py).

    {"action": "chat.send", "room": 12, "body": "...", "client_id": "c-1", "parent": null}
        -> to the sender only: {"type": "chat.sent", "client_id", "room", "message",
           "seq", "created"}; the message itself reaches every follower of
           ``room.12`` (the sender too) as the ``chat.message.posted`` event.
           The two may arrive in either order. A resend with the same
           client_id answers ``created: false`` and posts nothing.
    {"action": "chat.typing", "room": 12}
        -> {"type": "live.signal", "topic": "room.12", "kind": "chat.typing",
           "room": 12, "user": {"id", "name"}} to the room's other sockets (the
           person's other tabs too); the socket must follow ``room.12``. At most
           one per socket and room every TYPING_EVERY seconds; extra frames are
           dropped silently. No database query: the topic's policy was checked
           when the socket subscribed.
    {"action": "chat.read", "room": 12, "seq": 57}   (seq null: up to the latest)
        -> no answer; the person's tabs get ``chat.read`` on ``user.<id>``.

Refusals are ``live.error`` frames carrying ``action``, ``room`` and (for a
send) ``client_id``: ``bad_frame`` (wrong or missing fields), ``not_found``
(no such room, or one the person may not see: the same answer), ``forbidden``,
``invalid`` (empty or too long, a bad client_id; the message says why),
``rate_limited`` (with ``retry_after`` in seconds), ``not_subscribed`` (typing).
Every write is a call to chat/services/, as from the HTTP views.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from chat import events, services
from chat.policies import access_room, active_actor
from workspace import live
from workspace.live.actions import run_in_database

TYPING_EVERY = 2.0  # seconds between two typing signals of one socket in one room
CLIENT_ID_ECHO = 100  # characters of a bad client_id sent back in its error


def _is_id(value) -> bool:
    return type(value) is int and value > 0  # not bool, not "12", not 12.0


def _about(action: str, frame: dict) -> dict:
    """What an error frame echoes of the frame it answers, so the page knows which failed."""
    about = {"action": action}
    if _is_id(frame.get("room")):
        about["room"] = frame["room"]
    if isinstance(frame.get("client_id"), str):
        about["client_id"] = frame["client_id"][:CLIENT_ID_ECHO]
    return about


async def _run(socket, about: dict, work, room_id: int, *args):
    """``work(user, room_id, *args)`` in the room's database lane; a refusal becomes an error
    frame (and None). One room's sends and read marks run in order, other rooms' beside them."""
    try:
        return await run_in_database(room_id, work, socket.user, room_id, *args)
    except Http404 as error:
        socket.send_error("not_found", str(error) or "No such room.", **about)
    except services.ParentNotFound:
        socket.send_error("not_found", "No such message in this room.", **about)
    except PermissionDenied as error:
        socket.send_error("forbidden", str(error) or "You cannot do that here.", **about)
    except services.RateLimited as error:
        message = " ".join(error.messages)
        socket.send_error("rate_limited", message, retry_after=error.retry_after, **about)
    except ValidationError as error:
        socket.send_error("invalid", " ".join(error.messages), **about)
    return None


# --- chat.send ------------------------------------------------------------------


def _post(user, room_id: int, body: str, client_id: str, parent_id: int | None) -> dict:
    message, created = services.send_message(
        actor=user, room_id=room_id, body=body, client_id=client_id, parent=parent_id
    )
    return {"room": message.room_id, "message": message.pk, "seq": message.seq, "created": created}


async def on_send(socket, frame: dict) -> None:
    room_id, body = frame.get("room"), frame.get("body")
    client_id, parent_id = frame.get("client_id"), frame.get("parent")
    about = _about("chat.send", frame)
    if not (
        _is_id(room_id)
        and isinstance(body, str)
        and isinstance(client_id, str)
        and client_id
        and (parent_id is None or _is_id(parent_id))
    ):
        return socket.send_error(
            "bad_frame",
            'Send {"action": "chat.send", "room": <room id>, "body": "<text>", '
            '"client_id": "<your id for this message>", "parent": <message id or null>}.',
            **about,
        )
    sent = await _run(socket, about, _post, room_id, body, client_id, parent_id)
    if sent is not None:
        socket.reply(type="chat.sent", client_id=client_id, **sent)


# --- chat.typing ----------------------------------------------------------------


async def on_typing(socket, frame: dict) -> None:
    room_id = frame.get("room")
    about = _about("chat.typing", frame)
    if not _is_id(room_id):
        return socket.send_error(
            "bad_frame", 'Send {"action": "chat.typing", "room": <room id>}.', **about
        )
    topic = events.room_topic(room_id)
    if not socket.follows(topic):
        return socket.send_error(
            "not_subscribed",
            "Subscribe to the room first: typing is shown to the people following it.",
            **about,
        )
    if socket.throttle(("chat.typing", room_id), TYPING_EVERY):
        await socket.signal(topic, "chat.typing", room=room_id)


# --- chat.read ------------------------------------------------------------------


def _read(user, room_id: int, seq: int | None) -> bool:
    actor = active_actor(user)
    services.mark_read(actor=actor, room=access_room(actor, room_id), seq=seq)
    return True


async def on_read(socket, frame: dict) -> None:
    room_id, seq = frame.get("room"), frame.get("seq")
    about = _about("chat.read", frame)
    if not _is_id(room_id) or not (seq is None or type(seq) is int):
        return socket.send_error(
            "bad_frame", 'Send {"action": "chat.read", "room": <room id>, "seq": <seq>}.', **about
        )
    await _run(socket, about, _read, room_id, seq)


live.register_action("chat.send", on_send)
live.register_action("chat.typing", on_typing)
live.register_action("chat.read", on_read)
