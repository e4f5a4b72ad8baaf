"""What records tells the apps above it, which it never imports (docs/ARCHITECTURE.md, "Map").

``client_room_line``: something worth a line in a client's chat room happened
(a handoff, a deal won, an escalation). Arguments: ``client`` and ``text``
(Markdown, names escaped with ``records.services.chat_lines.literal``). It is
sent inside the writing service's transaction, so what a receiver writes
commits and is published with the change it reports, or not at all; a
receiver's error fails the write. chat receives it (``chat/apps.py``).
"""

from django.dispatch import Signal

client_room_line = Signal()
