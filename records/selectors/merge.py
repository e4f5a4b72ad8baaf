"""What the merge page shows: the two clients field by field, and what would move."""

from dataclasses import dataclass

from records.models import Client
from records.selectors.fields import FieldView, custom_definitions, field_view
from records.services.merge import mergeable_fields, moved_counts, moved_words


@dataclass
class MergeRow:
    field: str
    keep: FieldView  # the surviving client's value
    take: FieldView  # the other client's value
    chosen: str = "survivor"  # whose value the form has selected

    @property
    def differs(self) -> bool:
        return self.keep.raw != self.take.raw

    @property
    def sides(self) -> list[tuple[str, FieldView]]:
        return [("survivor", self.keep), ("loser", self.take)]


def merge_rows(survivor: Client, loser: Client) -> list[MergeRow]:
    """One row per mergeable field, both clients' values side by side."""
    definitions = custom_definitions()
    return [
        MergeRow(
            field, field_view(survivor, field, definitions), field_view(loser, field, definitions)
        )
        for field in mergeable_fields(survivor, loser)
    ]


def merge_preview(survivor: Client, loser: Client) -> dict:
    moved = moved_counts(loser)
    return {"rows": merge_rows(survivor, loser), "moved": moved, "moved_words": moved_words(moved)}
