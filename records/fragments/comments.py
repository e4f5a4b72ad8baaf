"""Live comment threads: a new comment is appended, an edited or deleted one redrawn.

From the partials of templates/records/comments.html, as the page draws them.
"""

from records.fragments import fragment, renders
from records.selectors import comments as selectors


@renders("comment.posted")
def posted(kind: str, payload: dict) -> str:
    comment = selectors.comment(payload["id"])
    context = {
        "comment": comment,
        "root": selectors.root_id(comment) if comment.parent_id else None,
        "target_name": payload["target"],
        "target_id": payload["target_id"],
    }
    return fragment("records/comments.html#posted", context)


@renders("comment.edited", "comment.deleted")
def changed(kind: str, payload: dict) -> str:
    comment = selectors.comment(payload["id"])
    return fragment("records/comments.html#card", {"comment": comment, "oob": True})
