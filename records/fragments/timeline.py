"""Live timelines: every event that wrote a timeline entry puts it at the top of its
client's timeline, drawn by the client page's own ``entry`` partial."""

from records.fragments import EVERY_KIND, fragment, renders
from records.selectors.client_page import timeline_entry


@renders(EVERY_KIND)
def new_entry(kind: str, payload: dict) -> str:
    entry = timeline_entry(payload["timeline"]) if payload.get("timeline") else None
    if entry is None:
        return ""
    return fragment("records/client_detail.html#entry-oob", {"entry": entry})


@renders(EVERY_KIND)
def changed_entry(kind: str, payload: dict) -> str:
    """An entry whose data changed (an email sent or failed): replaced where shown."""
    entry = timeline_entry(payload["timeline_changed"]) if payload.get("timeline_changed") else None
    if entry is None:
        return ""
    return fragment("records/client_detail.html#entry-replace-oob", {"entry": entry})
