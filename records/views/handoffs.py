"""Handoffs: the hand-off form, the inbox (incoming, outgoing, answered) and one handoff's page.

Cards and the handoff page's body are the same for every viewer and are also
drawn by the live fragments (records/fragments/handoffs.py). What depends on
the viewer (accept, decline, withdraw) is the "actions" partial, drawn per
viewer here and fetched again by each page (``hx-trigger="load"``) when an
event redraws a card. Every write goes through records.services.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Department, User
from records import events, policies, services
from records.handoff_forms import HandoffForm
from records.models import Handoff
from records.selectors import handoff_pages as selectors
from workspace.forms import call_service
from workspace.htmx import live_reply

INBOX = "records/handoffs.html"
FORM = "records/handoff_form.html"
PAGE = "records/handoff_detail.html"


# --- Handing off --------------------------------------------------------------------------


def handoff_new(request, pk):
    """The hand-off form: a modal for htmx (from a client or ticket page), else a page."""
    client = policies.access_client(request.user, pk)
    form = HandoffForm(request.POST or None, client=client, initial=_linked(request.GET))
    if request.method == "POST" and form.is_valid():
        handoff = call_service(form, lambda: _hand_off(request.user, client, form.cleaned_data))
        if handoff:
            messages.success(
                request, f"{client} handed to {handoff.to_user or handoff.to_department}."
            )
            url = reverse("records:handoff_detail", args=[handoff.pk])
            if request.htmx:
                return HttpResponse(headers={"HX-Redirect": url})
            return redirect(url)
    context = {"form": form, "client": client}
    if request.htmx:
        return render(
            request, f"{FORM}#{'handoff-form' if request.method == 'POST' else 'modal'}", context
        )
    return render(request, FORM, context)


def _linked(query) -> dict:
    return {name: query[name] for name in ("ticket", "deal") if query.get(name, "").isdigit()}


def _hand_off(actor, client, data: dict) -> Handoff:
    try:
        return services.hand_off(actor=actor, client=client, **data)
    except PermissionDenied as denied:
        raise ValidationError(str(denied)) from None


@require_GET
def handoff_people(request, pk):
    """The person options of the department picked on the form (htmx)."""
    policies.access_client(request.user, pk)
    department = request.GET.get("to_department", "")
    people = selectors.department_members(int(department) if department.isdigit() else None)
    return render(request, f"{FORM}#people-options", {"people": people.exclude(pk=request.user.pk)})


# --- The inbox ----------------------------------------------------------------------------


def handoff_inbox(request):
    if not policies.can_view(request.user):
        raise Http404("No handoffs.")
    tab = request.GET.get("tab", "incoming")
    if tab not in selectors.TABS:
        tab = "incoming"
    page = selectors.inbox_page(request.user, tab, request.GET.get("page"))
    people = selectors.assignable_people(request.user)
    for handoff in page:
        _add_actions(request.user, handoff, people)
    context = {
        "tab": tab,
        "tabs": selectors.TABS,
        "page": page,
        "department_ids": _department_ids(request.user),
        "waiting": selectors.open_count(request.user)
        if tab != "incoming"
        else page.paginator.count,
    }
    return render(request, INBOX, context)


def _department_ids(user: User) -> list[int]:
    """The departments whose inbox the viewer follows (admins: every department)."""
    if user.is_admin:
        return list(Department.objects.values_list("pk", flat=True))
    return list(user.departments.values_list("pk", flat=True))


def _add_actions(user: User, handoff: Handoff, people: dict | None = None) -> Handoff:
    """What ``user`` may do with ``handoff``, set on it for the actions partial (no queries
    besides the assignable people, loaded once per page)."""
    handoff.can_answer = handoff.is_open and policies.can_answer_handoff(user, handoff)
    handoff.can_withdraw = handoff.is_open and policies.can_withdraw_handoff(user, handoff)
    handoff.can_take_client = handoff.can_answer and (
        policies.can_manage_client(user, handoff.client)
        or handoff.client.owner_id == handoff.from_user_id
        or handoff.from_user.is_admin
    )
    if handoff.can_answer and policies.can_assign_handoff(user, handoff):
        team = (people or {}).get(handoff.to_department_id, [])
        handoff.assignees = [person for person in team if person.pk != user.pk]
    else:
        handoff.assignees = []
    return handoff


@require_GET
@require_GET
def handoff_count(request):
    """The Incoming tab's count for the viewer (fetched again after each handoff event)."""
    context = {"waiting": selectors.open_count(request.user)}
    return render(request, "records/handoffs.html#incoming-count", context)


def handoff_actions(request, pk):
    """The viewer's own buttons for one handoff (fetched again after events)."""
    handoff = policies.access_handoff(request.user, pk)
    if not request.htmx:
        return redirect("records:handoff_detail", pk=handoff.pk)
    return _actions(request, handoff)


def _actions(request, handoff: Handoff, error: str = ""):
    _add_actions(request.user, handoff, selectors.assignable_people(request.user))
    context = {"handoff": handoff, "error": error}
    return render(request, f"{INBOX}#handoff-actions", context)


# --- One handoff --------------------------------------------------------------------------


def handoff_detail(request, pk):
    handoff = policies.access_handoff(request.user, pk)
    handoff = selectors.load_handoff(handoff.pk)
    _add_actions(request.user, handoff, selectors.assignable_people(request.user))
    context = {"handoff": handoff, "path": selectors.path(handoff)}
    return render(request, PAGE, context)


# --- Answers: accept, decline, withdraw -------------------------------------------------


@require_POST
def handoff_accept(request, pk):
    handoff = policies.access_handoff(request.user, pk)
    assignee = None
    if request.POST.get("assignee", "").isdigit():
        assignee = User.objects.filter(pk=request.POST["assignee"]).first()
    take = request.POST.get("take_ownership") == "1"
    return _answer(
        request,
        handoff,
        lambda: services.accept_handoff(
            actor=request.user, handoff=handoff, assignee=assignee, take_ownership=take
        ),
        "Accepted: the task is in your list." if assignee is None else "Accepted.",
    )


@require_POST
def handoff_decline(request, pk):
    handoff = policies.access_handoff(request.user, pk)
    reason = request.POST.get("reason", "")
    return _answer(
        request,
        handoff,
        lambda: services.decline_handoff(actor=request.user, handoff=handoff, reason=reason),
        "Declined; the sender was told why.",
    )


@require_POST
def handoff_withdraw(request, pk):
    handoff = policies.access_handoff(request.user, pk)
    return _answer(
        request,
        handoff,
        lambda: services.withdraw_handoff(actor=request.user, handoff=handoff),
        "Withdrawn.",
    )


def _answer(request, handoff: Handoff, service, done: str):
    """Run an answer; a refusal shows its reason in the card (htmx) or as a message.

    htmx gets the live event the answer published (``X-Live-Event``): it redraws
    the card (and the page), whose actions then load again for this viewer.
    """
    try:
        service()
    except (ValidationError, PermissionDenied) as refused:
        if request.htmx:  # shown in the card, where the buttons were (htmx swaps 200s only)
            return _actions(request, selectors.load_handoff(handoff.pk), _reason(refused))
        if isinstance(refused, PermissionDenied):
            raise
        messages.error(request, _reason(refused))
        return redirect("records:handoff_detail", pk=handoff.pk)
    if not request.htmx:
        messages.success(request, done)
        return redirect("records:handoff_detail", pk=handoff.pk)
    return live_reply(request, topic=events.handoffs_topic(handoff.to_department_id))


def _reason(refused: Exception) -> str:
    return " ".join(refused.messages) if isinstance(refused, ValidationError) else str(refused)
