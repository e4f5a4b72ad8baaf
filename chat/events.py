"""The live topics chat publishes, and their fragments (DESIGN §4).

* ``room.<id>``: a room's page and the client page's room panel -- messages,
  thread replies, edits, deletions, reactions, members. Followed also by the
  chat sidebar of every member (the browser counts unread messages and
  mentions from these events: what is unread differs per viewer, the
  fragment does not). Policy: ``chat.policies.can_follow_room``.
* ``user.<id>`` (accounts' own feed): rooms added to or removed from a
  person's sidebar, and read marks, so their other tabs clear a badge.

Typing is a signal, not an event (chat/consumers.py): it is never logged.
Fragments are rendered once, in UTC, without a request; per-viewer controls
(edit/delete on one's own messages) are shown by live.js from ``data-author``.
"""

import re
from datetime import UTC
from html import escape as text_escape

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from chat import policies
from workspace import live

live.register_topic("room", policies.can_follow_room)

MESSAGES = "chat/message.html"


def room_topic(room_id: int) -> str:
    return f"room.{room_id}"


def user_topic(user_id: int) -> str:
    return f"user.{user_id}"


def room_link(room) -> str:
    return reverse("chat:room", args=[room.pk])


def message_link(message) -> str:
    """The room page scrolled to the message (opening its thread for a reply)."""
    return f"{reverse('chat:room', args=[message.room_id])}?message={message.pk}#msg-{message.pk}"


def _render(template: str, context: dict) -> str:
    with timezone.override(UTC):
        return render_to_string(template, context)


TAG_RE = re.compile(r"(<[^>]*>)")
OPAQUE_TAGS = {"a", "code", "pre"}  # a chip never goes inside a link or code


def _chip(client) -> tuple[re.Pattern, str]:
    name = re.escape(text_escape(client.name, quote=False))  # as bleach writes text nodes
    url = reverse("records:client_detail", args=[client.pk])
    pattern = re.compile(rf"(?<![\w#&/=])#(?:\[{name}\]|{name}(?!\w))", re.IGNORECASE)
    return pattern, f'<a class="chip-client" href="{url}">#{escape(client.name)}</a>'


def decorate_references(html: str, clients) -> str:
    """``#[Client name]`` and ``#Name`` in sanitized HTML → a chip linking the client.

    Runs after the sanitizer on its output and inserts only escaped names and
    the client's own URL. Only text outside tags, links and code is touched
    (sanitized HTML: tags are well formed); a ``#`` inside a word is left alone.
    """
    chips = [_chip(client) for client in clients]
    if not chips:
        return html
    parts, inside = TAG_RE.split(html), 0
    for index, part in enumerate(parts):
        if index % 2:
            tag = re.match(r"</?([a-z0-9]+)", part)
            if tag and tag.group(1) in OPAQUE_TAGS:
                inside += -1 if part.startswith("</") else 1
        elif not inside and "#" in part:
            for pattern, chip in chips:
                part = pattern.sub(lambda _match, chip=chip: chip, part)
            parts[index] = part
    return "".join(parts)


def _message_context(message) -> dict:
    from chat.selectors import message_for_display

    return {"message": message_for_display(message.pk)}


def posted_fragment(message, *, parent) -> str:
    """A message at the end of its room's list, or of its thread with the root's reply count."""
    return _render(f"{MESSAGES}#posted-oob", {"message": message, "parent": parent, "oob": True})


def message_posted(message, *, parent, mentioned) -> None:
    """A new message (or thread reply) at the end of its room or thread, on every open page.

    ``message`` comes from ``chat.selectors.just_posted``: drawn without reading it back.
    """
    html = posted_fragment(message, parent=parent)
    payload = {
        "room": message.room_id,
        "message": message.pk,
        "seq": message.seq,
        "author": message.author_id,
        "parent": parent.pk if parent else None,
        "client_id": message.client_id,
        "room_client": message.room.client_id,  # the CRM client of a client room, or None
        "mentions": sorted(person.pk for person in mentioned),
        "system": message.kind == message.Kind.SYSTEM,
    }
    live.publish(room_topic(message.room_id), "chat.message.posted", payload, html=html)


def message_changed(message, kind: str) -> None:
    """An edit, deletion or highlight: the message is drawn again where it is shown."""
    html = _render(f"{MESSAGES}#message-oob", _message_context(message) | {"oob": True})
    payload = {"room": message.room_id, "message": message.pk, "seq": message.seq}
    live.publish(room_topic(message.room_id), kind, payload, html=html)


def reactions_changed(message) -> None:
    html = _render(f"{MESSAGES}#reactions-oob", _message_context(message) | {"oob": True})
    payload = {"room": message.room_id, "message": message.pk}
    live.publish(room_topic(message.room_id), "chat.reactions", payload, html=html)


def members_changed(room, *, actor, joined=(), left=()) -> None:
    from chat.selectors import room_members

    html = _render(
        "chat/room.html#members-oob", {"room": room, "members": room_members(room), "oob": True}
    )
    payload = {
        "room": room.pk,
        "actor": actor.pk,
        "joined": [person.pk for person in joined],
        "left": [person.pk for person in left],
    }
    live.publish(room_topic(room.pk), "chat.members", payload, html=html)


def room_added(room, people) -> None:
    """Each person's sidebar gains the room (drawn for them: a DM is named after the others)."""
    from chat.selectors import sidebar_entry

    for person in people:
        html = _render(
            "chat/sidebar.html#entry-oob", {"entry": sidebar_entry(room, person), "oob": True}
        )
        live.publish(user_topic(person.pk), "chat.room.added", {"room": room.pk}, html=html)


def room_removed(room, people) -> None:
    """Each person's sidebar loses the room, and their open tabs stop following it if they
    may no longer read it (a private room's; a public one they may still follow)."""
    html = _render("chat/sidebar.html#entry-removed", {"room": room})
    for person in people:
        live.publish(user_topic(person.pk), "chat.room.removed", {"room": room.pk}, html=html)
    live.recheck_access([person.pk for person in people], [room_topic(room.pk)])


def room_read(room, person, seq: int) -> None:
    """The person read the room up to ``seq``: their other tabs clear its badges."""
    html = _render("chat/sidebar.html#read-oob", {"room": room})
    live.publish(user_topic(person.pk), "chat.read", {"room": room.pk, "seq": seq}, html=html)
