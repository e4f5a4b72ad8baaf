"""Who may see and do what with people, departments and invitations.

The same functions guard views, services (and later the API and sockets).
Everyone signed in may see the team: Workspace is a collaborative CRM.
Managing people is for admins (everyone) and managers (people in the
departments they belong to, never admins).
"""

from django.http import Http404

from accounts.models import Department, Invitation, Notification, Role, User


def managed_departments(actor: User):
    if actor.is_admin:
        return Department.objects.all()
    if actor.is_manager:
        return actor.departments.all()
    return Department.objects.none()


def can_invite(actor: User) -> bool:
    return actor.is_admin or actor.is_manager


def can_invite_into(actor: User, department: Department, role: str) -> bool:
    if actor.is_admin:
        return True
    return (
        actor.is_manager
        and role != Role.ADMIN
        and managed_departments(actor).filter(pk=department.pk).exists()
    )


def invitable_roles(actor: User) -> list[tuple[str, str]]:
    if actor.is_admin:
        return list(Role.choices)
    if actor.is_manager:
        return [(Role.MEMBER, Role.MEMBER.label), (Role.MANAGER, Role.MANAGER.label)]
    return []


def can_manage_person(actor: User, person: User) -> bool:
    """Change someone's departments or (de)activate them."""
    if actor.pk == person.pk:
        return False
    if actor.is_admin:
        return True
    if not actor.is_manager or person.role == Role.ADMIN:
        return False
    return person.departments.filter(pk__in=managed_departments(actor)).exists()


def can_change_role(actor: User) -> bool:
    return actor.is_admin


def can_manage_departments(actor: User) -> bool:
    return actor.is_admin


def can_edit_profile(actor: User, person: User) -> bool:
    return actor.pk == person.pk or actor.is_admin


def visible_invitations(actor: User):
    return Invitation.objects.filter(department__in=managed_departments(actor))


def access_invitation(actor: User, pk: int) -> Invitation:
    """The invitation, or 404 whether it is missing or not the actor's to see."""
    try:
        return visible_invitations(actor).get(pk=pk)
    except Invitation.DoesNotExist:
        raise Http404("No such invitation.") from None


def access_person(actor: User, pk: int) -> User:
    try:
        return User.objects.prefetch_related("departments").get(pk=pk)
    except User.DoesNotExist:
        raise Http404("No such person.") from None


def can_follow_own_feed(user: User, key: str) -> bool:
    """The live topic ``user.<id>`` (notifications, tasks, invites) is its owner's alone."""
    return str(user.pk) == key


def access_notification(actor: User, pk: int):
    """The actor's own notification, or 404 for anyone else's and for missing ones."""
    try:
        return Notification.objects.get(pk=pk, recipient=actor)
    except Notification.DoesNotExist:
        raise Http404("No such notification.") from None
