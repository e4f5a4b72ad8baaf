from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import policies, selectors, services
from accounts.forms import (
    AcceptInvitationForm,
    DepartmentForm,
    InvitationForm,
    PersonAccessForm,
    ProfileForm,
    timezone_names,
)
from accounts.models import User
from workspace.forms import call_service

INVITATIONS_PER_PAGE = 25


def team(request):
    query = request.GET.get("q", "").strip()
    department_slug = request.GET.get("department", "")
    context = {
        "departments": selectors.team_by_department(query=query, department_slug=department_slug),
        "all_departments": selectors.departments_with_headcount(),
        "query": query,
        "department_slug": department_slug,
        "can_invite": policies.can_invite(request.user),
        "can_add_department": policies.can_manage_departments(request.user),
    }
    if request.htmx and request.htmx.target == "team-results":
        return render(request, "accounts/team.html#team-results", context)
    return render(request, "accounts/team.html", context)


def person(request, pk):
    person = policies.access_person(request.user, pk)
    can_manage = policies.can_manage_person(request.user, person)
    form = None
    if can_manage:
        form = PersonAccessForm(
            request.POST or None, actor=request.user, initial=_access_initial(person)
        )
        saved = (
            request.method == "POST"
            and form.is_valid()
            and call_service(form, lambda: _apply_access(request.user, person, form.cleaned_data))
        )
        if saved:
            messages.success(request, f"Saved {person}'s access.")
            return redirect("person", pk=person.pk)
    elif request.method == "POST":
        raise PermissionDenied("You cannot manage this person.")
    return render(
        request,
        "accounts/person.html",
        {"person": person, "form": form, "can_edit_profile": request.user.pk == person.pk},
    )


def _access_initial(person: User) -> dict:
    return {
        "role": person.role,
        "departments": list(person.departments.all()),
        "is_active": person.is_active,
    }


@transaction.atomic
def _apply_access(actor: User, person: User, data: dict) -> User:
    """Role, departments and sign-in together: all saved, or none."""
    if "role" in data and data["role"] and data["role"] != person.role:
        services.set_role(actor=actor, person=person, role=data["role"])
    services.set_departments(actor=actor, person=person, departments=data["departments"])
    if data["is_active"] != person.is_active:
        services.set_active(actor=actor, person=person, active=data["is_active"])
    return person


def profile(request):
    me = User.objects.get(pk=request.user.pk)
    form = ProfileForm(request.POST or None, request.FILES or None, instance=me)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        updated = call_service(
            form,
            lambda: services.update_profile(actor=request.user, person=me, changes=changes),
        )
        if updated:
            messages.success(request, "Your profile is saved.")
            return redirect("profile")
    context = {
        "form": form,
        "timezone_names": timezone_names(),
        "avatar_max_bytes": settings.AVATAR_MAX_BYTES,
    }
    return render(request, "accounts/profile.html", context)


def invitations(request):
    if not policies.can_invite(request.user):
        raise PermissionDenied("Only admins and managers can invite people.")
    form = InvitationForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        result = call_service(
            form, lambda: services.invite(actor=request.user, **form.cleaned_data)
        )
        if result:
            invitation, token = result
            _announce_link(request, f"Invitation sent to {invitation.email}.", token)
            return redirect("invitations")
    page = Paginator(
        selectors.invitation_list(policies.visible_invitations(request.user)),
        INVITATIONS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    lifetime_days = settings.INVITATION_LIFETIME.days
    return render(
        request,
        "accounts/invitations.html",
        {"form": form, "page": page, "lifetime_days": lifetime_days},
    )


def _announce_link(request, text: str, token: str) -> None:
    link = request.build_absolute_uri(services.invitation_link(token))
    messages.success(request, text, extra_tags="invitation")
    messages.info(request, link, extra_tags="invitation-link")


@require_POST
def revoke_invitation(request, pk):
    invitation = policies.access_invitation(request.user, pk)
    try:
        services.revoke_invitation(actor=request.user, invitation=invitation)
        messages.success(request, f"Invitation for {invitation.email} revoked.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("invitations")


@require_POST
def resend_invitation(request, pk):
    invitation = policies.access_invitation(request.user, pk)
    try:
        token = services.resend_invitation(actor=request.user, invitation=invitation)
        _announce_link(request, f"A new invitation link was sent to {invitation.email}.", token)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("invitations")


@login_not_required
def accept_invitation(request, token):
    try:
        invitation = services.find_invitation(token)
        services.check_redeemable(invitation)
    except ValidationError as error:
        return render(
            request, "accounts/invitation_invalid.html", {"reason": error.messages[0]}, status=410
        )
    if request.user.is_authenticated:
        return render(
            request,
            "accounts/invitation_invalid.html",
            {"reason": _signed_in_reason(request.user, invitation), "signed_in": True},
            status=409,
        )
    form = AcceptInvitationForm(request.POST or None, initial={"full_name": invitation.full_name})
    if request.method == "POST" and form.is_valid():
        user = call_service(
            form,
            lambda: services.accept_invitation(
                token=token,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password"],
            ),
        )
        if user:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to Workspace, {user.get_short_name()}!")
            return redirect("profile")
    return render(
        request, "accounts/accept_invitation.html", {"form": form, "invitation": invitation}
    )


def _signed_in_reason(user: User, invitation) -> str:
    if user.email == invitation.email:
        return "You already have an account and are signed in."
    return (
        f"This invitation is for {invitation.email}, but you are signed in as {user.email}. "
        "Sign out, then open the link again."
    )


def department_create(request):
    if not policies.can_manage_departments(request.user):
        raise PermissionDenied("Only admins can add departments.")
    form = DepartmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        department = call_service(
            form, lambda: services.create_department(actor=request.user, **form.cleaned_data)
        )
        if department:
            messages.success(request, f"Department {department} added.")
            return redirect(f"{reverse('team')}?department={department.slug}")
    return render(
        request,
        "accounts/department_form.html",
        {"form": form, "timezone_names": timezone_names()},
    )


# --- Notifications -----------------------------------------------------------

NOTIFICATIONS_PER_PAGE = 25


def notifications(request):
    page = Paginator(
        request.user.notifications.select_related("actor"), NOTIFICATIONS_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(request, "accounts/notifications.html", {"page": page})


def notification_bell(request):
    """The bell alone: what a tab re-fetches when its live feed says `resync`."""
    context = {"user": request.user, **selectors.notification_bell(request.user)}
    return render(request, "accounts/notifications.html#bell", context)


def notification_open(request, pk):
    """Follow a notification's link, marking it read on the way."""
    notification = policies.access_notification(request.user, pk)
    services.mark_read(actor=request.user, notification=notification)
    return redirect(notification.link or "notifications")


@require_POST
def notification_read(request, pk):
    notification = policies.access_notification(request.user, pk)
    event = services.mark_read(actor=request.user, notification=notification)
    return _live_reply(request, event)


@require_POST
def notifications_read_all(request):
    event = services.mark_all_read(actor=request.user)
    if not request.htmx:
        messages.success(request, "All notifications are marked read.")
    return _live_reply(request, event)


def _live_reply(request, event):
    """htmx gets the live event's fragment at once (live.js applies it like the
    socket's copy, so whichever comes second changes nothing); a plain form
    post goes back to the notifications page."""
    if not request.htmx:
        return redirect("notifications")
    response = HttpResponse(event.html if event else "")
    if event is not None:
        response["X-Live-Event"] = str(event.id)
    return response
