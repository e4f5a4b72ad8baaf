"""Chat's part in records' work, plugged in when the app loads (records never imports chat).

* **Lines in a client's room**: records sends ``records.signals.client_room_line``
  inside the service that hands a client off, wins a deal or escalates; chat
  posts it as a system message in the same transaction.
* **A task made from a message**: records' task form prefills from the source
  named in its query; chat is the "message" source (``?message=<id>``).
"""

from django.http import Http404

from accounts.models import User
from chat import policies
from chat.events import message_link
from chat.search import plain_text
from chat.services import post_system_message
from records import task_sources
from records.models import TASK_DESCRIPTION_MAX_LENGTH
from records.signals import client_room_line

TITLE_FROM_MESSAGE = 120  # characters of a message's first line


def connect() -> None:
    client_room_line.connect(_post_client_line, dispatch_uid="chat.client_room_line")
    task_sources.register("message", message_prefill)


def _post_client_line(sender, *, client, text: str, **kwargs) -> None:
    post_system_message(client=client, text=text)


def message_prefill(viewer: User, message_id: str) -> task_sources.Prefill:
    """A task made from a message ``viewer`` may read (one 404 for missing, deleted and
    private): its first line as the title (as shown, without Markdown; at most
    TITLE_FROM_MESSAGE characters), its text and a link back as the description
    (Markdown, like the message)."""
    message = policies.access_message(viewer, message_id)
    if message.is_deleted:
        raise Http404("No such message.")
    text = plain_text(message)
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(line) > TITLE_FROM_MESSAGE:
        line = line[: TITLE_FROM_MESSAGE - 1].rstrip() + "…"
    author = message.author.full_name if message.author else "Workspace"
    link = message_link(message)
    footer = f"\n\n— {author} in chat: [open the message]({link})"
    space = TASK_DESCRIPTION_MAX_LENGTH - len(footer)
    body = message.body if len(message.body) <= space else message.body[: space - 1] + "…"
    return task_sources.Prefill(
        title=line, description=body + footer, origin=f"a message by {author}", origin_url=link
    )
