"""Who may import, and see or undo a run.

Any active member of staff who belongs to a department may import: every row
is written through records' services as that person, so a member's import
creates clients in their own department and may update only the records they
could edit by hand (others fail, row by row, with the reason). Admins and
managers may therefore do more, because they may by hand. A run is seen and
undone by the person who ran it and by admins.
"""

from integrations.imports.models import ImportRun


def can_import(user) -> bool:
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return False
    return user.is_admin or user.departments.exists()


def can_view_run(user, run: ImportRun) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active) and (
        user.is_admin or run.user_id == user.pk
    )


def runs_of(user):
    runs = ImportRun.objects.defer("data")
    return runs if user.is_admin else runs.filter(user=user)
