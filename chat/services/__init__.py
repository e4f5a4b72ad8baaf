"""Every chat write (DESIGN §3): rooms, members, messages, reactions, read state.

The socket's frame handlers (chat/consumers.py), the HTTP views and other
apps' services (system messages) all call these functions. Each checks the
actor's right with chat/policies.py, validates, writes in one transaction and
publishes through chat/events.py.

Lock order, to never deadlock: a room, then a message (a thread's root), then
people (``notify`` locks each recipient). Edits, deletions and reactions lock
only their message.

Modules: ``rooms`` (opening and creating rooms), ``members`` (joining, leaving,
adding, removing, owners), ``messages`` (posting, system lines, editing,
deleting, reactions, timeline highlights), ``reading`` (read state); ``base``
(checks, the room lock, the people a room is given) is shared by them. Import
the services from this package.
"""

from chat.services.members import (
    add_members,
    join_room,
    leave_room,
    remove_member,
    set_member_role,
)
from chat.services.messages import (
    ParentNotFound,
    RateLimited,
    delete_message,
    edit_message,
    highlight_message,
    post_message,
    post_system_message,
    send_message,
    toggle_reaction,
)

# Not services: tests/demo/test_seed_demo.py checks the demo's messages with these two.
from chat.services.messages import _draft as _draft
from chat.services.messages import _mentioned as _mentioned
from chat.services.reading import mark_read
from chat.services.rooms import create_room, open_client_room, open_department_room, open_direct

__all__ = [
    "ParentNotFound",
    "RateLimited",
    "add_members",
    "create_room",
    "delete_message",
    "edit_message",
    "highlight_message",
    "join_room",
    "leave_room",
    "mark_read",
    "open_client_room",
    "open_department_room",
    "open_direct",
    "post_message",
    "post_system_message",
    "remove_member",
    "send_message",
    "set_member_role",
    "toggle_reaction",
]
