"""Live list rows: a changed record's row is redrawn in every list showing it.

``<kind>.created`` prepends the row (highlighted) to the list's table body,
where a tab has that list open; any other change replaces the row by its id
(``client-row-<pk>`` …), so tabs where the row is not on screen ignore it. An
archived client stays in place, marked. A deleted deal's row is removed. Rows
come from the same partials as the page (records/list_rows.html). A merge
redraws the surviving client's row and drops the merged-away one (lists hide
merged clients).
"""

from records.fragments import fragment, renders
from records.selectors.lists import BY_NOUN, row

LIST_KINDS = (
    "client.created",
    "client.updated",
    "client.archived",
    "client.restored",
    "contact.created",
    "contact.updated",
    "deal.created",
    "deal.updated",
    "deal.moved",
    "deal.won",
    "deal.lost",
    "ticket.created",
    "ticket.updated",
    "ticket.status",
    "ticket.rated",
)


@renders(*LIST_KINDS)
def list_row(kind: str, payload: dict) -> str:
    noun, change = kind.split(".", 1)
    spec = BY_NOUN[noun]
    obj = row(spec, payload["id"])
    if obj is None:
        return ""
    context = {"spec": spec, "obj": obj, "created": change == "created"}
    return fragment("records/list_rows.html#live-row", context)


@renders("deal.deleted", "contact.deleted")
def deleted_row_of(kind: str, payload: dict) -> str:
    return deleted_row(kind.split(".", 1)[0], payload["id"])


def deleted_row(noun: str, pk: int) -> str:
    return fragment("records/list_rows.html#live-row-deleted", {"id": pk, "noun": noun})


@renders("client.merged")
def merged_client_rows(kind: str, payload: dict) -> str:
    survivor = list_row("client.updated", {"id": payload["survivor"]})
    return survivor + deleted_row("client", payload["loser"])
