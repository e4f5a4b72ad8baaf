"""Every write to people, departments and invitations (DESIGN §3).

Each service checks the actor's right (PermissionDenied), validates
(ValidationError with a readable message), then writes in one transaction.
"""

import hashlib
import logging
import re
import secrets
from functools import partial

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts import events, policies
from accounts.models import Department, Invitation, Notification, Role, User

logger = logging.getLogger(__name__)

# What a person may change about themselves, in the order the profile form shows it.
PROFILE_FIELDS = (
    "full_name",
    "job_title",
    "avatar",
    "timezone",
    "work_start",
    "work_end",
    "work_days",
    "email_notifications",
    "reminder_minutes",
    "email_signature",
    "phone_extension",
)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


# --- Invitations -------------------------------------------------------------


def _issue_token(invitation: Invitation) -> str:
    token = secrets.token_urlsafe(32)
    invitation.token_hash = hash_token(token)
    invitation.expires_at = timezone.now() + settings.INVITATION_LIFETIME
    return token


def _check_invitable_email(email: str, *, excluding: Invitation | None = None) -> None:
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": f"{email} already has a Workspace account."})
    pending = Invitation.objects.pending().filter(email__iexact=email)
    if excluding:
        pending = pending.exclude(pk=excluding.pk)
    if pending.exists():
        raise ValidationError(
            {"email": f"{email} already has a pending invitation. Resend or revoke that one."}
        )


def invite(*, actor: User, email: str, department: Department, role: str, full_name: str = ""):
    """Create an invitation and email its link. Returns (invitation, link token).

    The token is returned so the inviter can be shown the link once; only its
    hash is kept.
    """
    _require(
        policies.can_invite_into(actor, department, role),
        f"You cannot invite people into {department} as {Role(role).label}.",
    )
    email = email.strip().lower()
    with transaction.atomic():
        _check_invitable_email(email)
        invitation = Invitation(
            email=email, full_name=full_name.strip(), department=department, role=role
        )
        invitation.invited_by = actor
        token = _issue_token(invitation)
        invitation.full_clean()
        invitation.save()
        transaction.on_commit(partial(_send_invitation_email, invitation, token), robust=True)
    logger.info("%s invited %s into %s as %s", actor.email, email, department, role)
    return invitation, token


def _lock_invitation(actor: User, invitation: Invitation) -> Invitation:
    """Check the actor may manage the invitation; return it locked.

    Precondition: an open transaction (the lock lasts until it ends).
    """
    _require(
        policies.can_invite_into(actor, invitation.department, invitation.role),
        "You cannot manage this invitation.",
    )
    return Invitation.objects.select_for_update().get(pk=invitation.pk)


def resend_invitation(*, actor: User, invitation: Invitation) -> str:
    """Give a pending or expired invitation a new link and a new expiry; the old link dies."""
    with transaction.atomic():
        invitation = _lock_invitation(actor, invitation)
        if invitation.status in (Invitation.Status.ACCEPTED, Invitation.Status.REVOKED):
            raise ValidationError(
                f"This invitation was {invitation.get_status_display().lower()}; "
                "send a new one instead."
            )
        _check_invitable_email(invitation.email, excluding=invitation)
        token = _issue_token(invitation)
        invitation.save(update_fields=["token_hash", "expires_at"])
        transaction.on_commit(partial(_send_invitation_email, invitation, token), robust=True)
    return token


def revoke_invitation(*, actor: User, invitation: Invitation) -> Invitation:
    with transaction.atomic():
        invitation = _lock_invitation(actor, invitation)
        if invitation.status == Invitation.Status.ACCEPTED:
            raise ValidationError("This invitation was already accepted; it cannot be revoked.")
        if invitation.revoked_at is None:
            invitation.revoked_at = timezone.now()
            invitation.revoked_by = actor
            invitation.save(update_fields=["revoked_at", "revoked_by"])
    return invitation


def invitation_link(token: str) -> str:
    return reverse("accept_invitation", kwargs={"token": token})


def _send_invitation_email(invitation: Invitation, token: str) -> None:
    context = {
        "invitation": invitation,
        "link": f"{settings.SITE_URL}{invitation_link(token)}",
        "inviter": invitation.invited_by,
    }
    send_mail(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}You're invited to join Workspace",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


def find_invitation(token: str) -> Invitation:
    """The invitation a link refers to, whatever its state; ValidationError if none."""
    invitation = (
        Invitation.objects.select_related("department", "invited_by")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if invitation is None:
        raise ValidationError(
            "This invitation link is not valid. Check that you copied the whole link, "
            "or ask for a new invitation."
        )
    return invitation


def check_redeemable(invitation: Invitation) -> None:
    """Raise a ValidationError a person can act on unless the invitation can be used now."""
    inviter = invitation.invited_by or "your administrator"
    match invitation.status:
        case Invitation.Status.ACCEPTED:
            raise ValidationError(
                "This invitation has already been used. Sign in with your email and password."
            )
        case Invitation.Status.REVOKED:
            raise ValidationError(f"This invitation was withdrawn. Ask {inviter} for a new one.")
        case Invitation.Status.EXPIRED:
            expired = timezone.localtime(invitation.expires_at).strftime("%d %b %Y")
            raise ValidationError(
                f"This invitation expired on {expired}. Ask {inviter} to send a new one."
            )


def accept_invitation(*, token: str, full_name: str, password: str) -> User:
    """Redeem an invitation: create the account in the invited department and role.

    The row is locked so two simultaneous submissions cannot both use it.
    """
    with transaction.atomic():
        invitation = find_invitation(token)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        check_redeemable(invitation)
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise ValidationError(f"{invitation.email} already has an account. Sign in instead.")
        user = User(email=invitation.email, full_name=full_name.strip(), role=invitation.role)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise ValidationError({"password": error.messages}) from None
        user.set_password(password)
        user.is_staff = invitation.role == Role.ADMIN
        user.full_clean()
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            # Someone created this email's account at the same moment.
            raise ValidationError(f"{invitation.email} already has an account. Sign in.") from None
        user.departments.add(invitation.department)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        invitation.accepted_at = timezone.now()
        invitation.accepted_user = user
        invitation.save(update_fields=["accepted_at", "accepted_user"])
        if invitation.invited_by:
            notify(
                recipient=invitation.invited_by,
                actor=user,
                kind="invitation_accepted",
                text=f"{user} accepted your invitation and joined {invitation.department}.",
                link=reverse("person", kwargs={"pk": user.pk}),
            )
    logger.info("%s accepted an invitation into %s", user.email, invitation.department)
    return user


# --- People ------------------------------------------------------------------


def update_profile(*, actor: User, person: User, changes: dict) -> User:
    _require(policies.can_edit_profile(actor, person), "You cannot edit this profile.")
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=person.pk)
        old_avatar = person.avatar.name
        for field, value in changes.items():
            setattr(person, field, value)
        person.full_clean()
        person.save()
        if old_avatar and person.avatar.name != old_avatar:
            transaction.on_commit(partial(person.avatar.storage.delete, old_avatar), robust=True)
    return person


def set_role(*, actor: User, person: User, role: str) -> User:
    _require(policies.can_change_role(actor), "Only admins can change roles.")
    with transaction.atomic():
        _lock_admins()
        person = User.objects.select_for_update().get(pk=person.pk)
        if person.role == Role.ADMIN and role != Role.ADMIN:
            _keep_an_admin(excluding=person)
        changed = person.role != role
        person.role = role
        person.is_staff = role == Role.ADMIN
        person.full_clean()
        person.save(update_fields=["role", "is_staff"])
        if changed:
            events.access_changed([person.pk])
            notify(
                recipient=person,
                actor=actor,
                kind="role_changed",
                text=f"{actor} made you {'an' if role == Role.ADMIN else 'a'} {Role(role).label}.",
                link=reverse("person", kwargs={"pk": person.pk}),
            )
    return person


def set_departments(*, actor: User, person: User, departments) -> User:
    """Set a person's departments, as far as the actor manages them.

    A manager changes only the departments they manage; the person's other
    departments are kept. Everyone stays in at least one department.
    """
    _require(policies.can_manage_person(actor, person), "You cannot manage this person.")
    managed = set(policies.managed_departments(actor).values_list("pk", flat=True))
    wanted = {department.pk for department in departments}
    if not wanted <= managed:
        raise PermissionDenied("You can only add people to departments you manage.")
    with transaction.atomic():
        current = set(person.departments.values_list("pk", flat=True))
        final = (current - managed) | wanted
        if not final:
            raise ValidationError({"departments": "Everyone belongs to at least one department."})
        person.departments.set(final)
        if final != current:
            events.access_changed([person.pk])
            _notify_departments(actor, person, added=final - current, removed=current - final)
    return person


def _notify_departments(actor: User, person: User, *, added: set, removed: set) -> None:
    def names(pks):
        return ", ".join(Department.objects.filter(pk__in=pks).values_list("name", flat=True))

    changes = []
    if added:
        changes.append(f"added you to {names(added)}")
    if removed:
        changes.append(f"removed you from {names(removed)}")
    notify(
        recipient=person,
        actor=actor,
        kind="departments_changed",
        text=f"{actor} {' and '.join(changes)}.",
        link=reverse("person", kwargs={"pk": person.pk}),
    )


def set_active(*, actor: User, person: User, active: bool) -> User:
    """Deactivate (sign-in refused, history kept) or reactivate a person."""
    _require(policies.can_manage_person(actor, person), "You cannot manage this person.")
    with transaction.atomic():
        _lock_admins()
        person = User.objects.select_for_update().get(pk=person.pk)
        if not active and person.role == Role.ADMIN:
            _keep_an_admin(excluding=person)
        person.is_active = active
        person.save(update_fields=["is_active"])
        if not active:
            events.access_changed([person.pk])
    return person


def _lock_admins() -> None:
    """Lock the active admins' rows (in id order, so callers queue, not deadlock).

    Without it, two admins removing each other at the same moment would each
    see the other still active, and both changes would commit: no admin left.
    """
    list(
        User.objects.select_for_update()
        .filter(role=Role.ADMIN, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _keep_an_admin(*, excluding: User) -> None:
    """Precondition: `_lock_admins()` was called in the open transaction."""
    others = User.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk=excluding.pk)
    if not others.exists():
        raise ValidationError("Workspace needs at least one active admin; appoint another first.")


# --- Departments -------------------------------------------------------------


def create_department(
    *, actor: User, name: str, description: str = "", timezone: str = "UTC"
) -> Department:
    _require(policies.can_manage_departments(actor), "Only admins can add departments.")
    name = name.strip()
    department = Department(
        name=name, slug=slugify(name), description=description.strip(), timezone=timezone
    )
    with transaction.atomic():
        if Department.objects.filter(name__iexact=name).exists():
            raise ValidationError({"name": f"There is already a department called {name}."})
        department.full_clean()
        department.save()
    return department


# --- Notifications -----------------------------------------------------------


def notify(*, recipient: User, kind: str, text: str, link: str, actor: User | None = None):
    """Tell ``recipient`` something: under their bell, and live in their open tabs.

    Called by other services, inside their transaction, once they have checked
    the actor's rights. Returns the Notification, or None when nobody is to be
    told (people are not notified of their own actions, nor once deactivated).
    """
    if not recipient.is_active or (actor is not None and actor.pk == recipient.pk):
        return None
    with transaction.atomic():
        # One notification at a time per person, so each event's unread count is exact.
        _lock_person(recipient)
        notification = Notification(
            recipient=recipient, actor=actor, kind=kind, text=one_stop(text)[:300], link=link
        )
        notification.full_clean()
        notification.save()
        events.notification_added(notification, unread=recipient.notifications.unread().count())
    return notification


# A sentence's full stop after a name that ends with one ("… Labs B.V.."), not an ellipsis.
DOUBLED_STOP = re.compile(r"(?<![.])([.!?…])\.$")


def one_stop(text: str) -> str:
    """``text`` stripped, with one full stop where a name ending in one got another."""
    return DOUBLED_STOP.sub(r"\1", text.strip())


def mark_read(*, actor: User, notification: Notification):
    """Mark one of the actor's notifications read; returns the live Event (None: no change)."""
    _require(notification.recipient_id == actor.pk, "This is not your notification.")
    with transaction.atomic():
        _lock_person(actor)
        updated = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        if not updated:
            return None
        notification.refresh_from_db()
        return events.notifications_read(
            actor, [notification], unread=actor.notifications.unread().count()
        )


def mark_all_read(*, actor: User):
    """Mark every unread notification of the actor read; returns the live Event (or None)."""
    with transaction.atomic():
        _lock_person(actor)
        unread = list(actor.notifications.unread().values_list("pk", flat=True))
        if not unread:
            return None
        Notification.objects.filter(pk__in=unread).update(read_at=timezone.now())
        return events.notifications_read(
            actor, Notification.objects.filter(pk__in=unread).select_related("actor"), unread=0
        )


def _lock_person(person: User) -> None:
    list(User.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True))
