"""Accounts' cards on the home page (workspace/home.py): your teams, and getting set up."""

from accounts import policies, selectors

TEAMMATES_SHOWN = 8


def teams_card(user) -> dict:
    """The person's departments with their headcounts, and some teammates."""
    return {
        "my_departments": selectors.departments_with_headcount().filter(members=user),
        "teammates": selectors.people_matching("")
        .filter(departments__in=user.departments.all())
        .exclude(pk=user.pk)
        .distinct()[:TEAMMATES_SHOWN],
    }


def setup_card(user) -> dict:
    """Profile, two-factor, and invitations pending (None: the person may not invite)."""
    if not policies.can_invite(user):
        return {"pending_invitations": None}
    return {"pending_invitations": policies.visible_invitations(user).pending().count()}
