"""Live side of a merge: whoever views the merged-away client is sent to the survivor
(``data-live-redirect``, handled by static/js/live.js), and the survivor's page shows
the values it took over. Its timeline entry comes with every event (fragments/timeline.py)."""

from records.fragments import fragment, renders
from records.models import Client
from records.selectors.fields import custom_definitions, field_view


@renders("client.merged")
def send_viewers_to_survivor(kind: str, payload: dict) -> str:
    clients = Client.objects.select_related("owner", "department").in_bulk(
        [payload["survivor"], payload["loser"]]
    )
    survivor, loser = clients.get(payload["survivor"]), clients.get(payload["loser"])
    if survivor is None or loser is None:
        return ""
    redirect = fragment("records/merge.html#redirect-oob", {"survivor": survivor, "loser": loser})
    definitions = custom_definitions()
    values = (
        fragment(
            "records/fields.html#value",
            {"v": field_view(survivor, field, definitions), "oob": True},
        )
        for field in payload.get("fields", ())
    )
    return redirect + "".join(values)
