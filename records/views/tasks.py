"""Task pages: My tasks, the team board, a task's page, creating (full form and quick-add).

Rows, the task page's shared parts and the team counts are partials that
records/fragments/tasks.py renders for live events too. Writes answer htmx
with the event they published (``live_reply``), which live.js applies like the
socket's copy; refusals answer 403/422 with a readable reason.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from records import events, policies, services, task_sources
from records.models import ChecklistItem, Task
from records.selectors import tasks as selectors
from records.task_forms import TaskForm
from workspace.forms import call_service
from workspace.htmx import refused, run_write

MY_TASKS = "records/tasks.html"
TEAM = "records/team_tasks.html"
DETAIL = "records/task_detail.html"
FORM = "records/task_form.html"
QUICK = "records/task_quick.html"


# --- My tasks and the team board ----------------------------------------------------


@require_GET
def my_tasks(request):
    mine = selectors.my_tasks(request.user, request.GET.get("done_page"))
    context = {
        "viewer": request.user,
        "sections": [
            (name, selectors.SECTION_TITLES[name], tasks) for name, tasks in mine.sections.items()
        ],
        "done_page": mine.done_page,
        "can_see_team": selectors.can_see_team_board(request.user),
        "place": "mine",
    }
    if request.htmx and "done_page" in request.GET:
        return render(request, f"{MY_TASKS}#done-more", context)
    if request.htmx and not request.htmx.boosted:
        return render(request, f"{MY_TASKS}#my-tasks", context)
    return render(request, MY_TASKS, context)


@require_GET
def team_tasks(request):
    """Managers' (and admins') board: each person of their departments, open and overdue."""
    if not selectors.can_see_team_board(request.user):
        raise PermissionDenied("The team board is for managers and admins.")
    departments = selectors.team_departments(request.user)
    chosen = _chosen_department(request, departments)
    shown = [chosen] if chosen else departments
    context = {
        "departments": departments,
        "chosen": chosen,
        "board": selectors.team_board(shown),
        "topics": " ".join(events.team_tasks_topic(d.pk) for d in shown),
        "place": "team",
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, f"{TEAM}#board", context)
    return render(request, TEAM, context)


def _chosen_department(request, departments):
    wanted = request.GET.get("department", "")
    if not wanted:
        return None
    chosen = next((d for d in departments if str(d.pk) == wanted), None)
    if chosen is None:
        raise Http404("No such department on your board.")
    return chosen


# --- One task ------------------------------------------------------------------------


def task_detail(request, pk):
    task = policies.access_task(request.user, pk)
    return render(request, DETAIL, detail_context(request.user, task))


def detail_context(user: User, task: Task) -> dict:
    can_edit = policies.can_edit_task(user, task)
    people = list(selectors.assignable_people(user)) if can_edit else []
    return {
        "task": task,
        "can_edit": can_edit,
        "can_reassign": len(people) > 1,
        "people": people,
        **selectors.checklist_context(task),
        "history": selectors.history(task),
        "statuses": selectors.STATUS_BUTTONS,
        "topic": events.task_topic(task.pk),
    }


# --- Writes --------------------------------------------------------------------------


@require_POST
def task_status(request, pk):
    task = policies.access_task(request.user, pk)
    status = request.POST.get("status", "")
    return _write(
        request,
        task,
        lambda: services.set_task_status(actor=request.user, task=task, status=status),
    )


@require_POST
def task_reassign(request, pk):
    task = policies.access_task(request.user, pk)
    assignee = User.objects.filter(pk=_int(request.POST.get("assignee")), is_active=True).first()
    if assignee is None:
        return refused(request, "Pick someone to give the task to.", 422, page_url=task_url(task))
    return _write(
        request,
        task,
        lambda: services.reassign_task(actor=request.user, task=task, assignee=assignee),
    )


@require_POST
def checklist_add(request, pk):
    task = policies.access_task(request.user, pk)
    text = request.POST.get("text", "")
    return _write(
        request,
        task,
        lambda: services.add_checklist_item(actor=request.user, task=task, text=text),
    )


@require_POST
def checklist_toggle(request, pk, item):
    task, step = _item(request.user, pk, item)
    done = request.POST.get("done") == "1"
    return _write(
        request,
        task,
        lambda: services.toggle_checklist_item(actor=request.user, item=step, done=done),
    )


@require_POST
def checklist_remove(request, pk, item):
    task, step = _item(request.user, pk, item)
    return _write(
        request, task, lambda: services.remove_checklist_item(actor=request.user, item=step)
    )


def _item(user, pk, item) -> tuple[Task, ChecklistItem]:
    task = policies.access_task(user, pk)
    return task, get_object_or_404(ChecklistItem, pk=item, task=task)


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _write(request, task: Task, service):
    """Run a task write; the answer is its live event (htmx) or the task page (plain post)."""
    return run_write(
        request,
        service,
        topic=events.task_topic(task.pk),
        page_url=task_url(task),
        forbidden="You cannot change this task.",
    )


def task_url(task: Task) -> str:
    return reverse("records:task_detail", args=[task.pk])


# --- Creating -------------------------------------------------------------------------

LINKS = ("client", "deal", "ticket")


def _link(request):
    """The record named by ``?client=``/``?deal=``/``?ticket=`` (one 404 for missing and
    forbidden), or None."""
    for name in LINKS:
        if request.GET.get(name):
            return getattr(policies, f"access_{name}")(request.user, request.GET[name])
    return None


def _form(request, *, quick: bool, source: task_sources.Prefill | None = None) -> TaskForm:
    initial = {"title": source.title, "description": source.description} if source else {}
    if request.GET.get("assignee", "").isdigit():
        initial["assignee"] = int(request.GET["assignee"])
    return TaskForm(
        request.POST or None,
        viewer=request.user,
        quick=quick,
        initial=initial,
        with_description=source is not None,
    )


def _create(request, form: TaskForm, link) -> Task | None:
    """Save a valid, confirmed form through ``create_task``; refusals become form errors."""
    if not form.is_valid() or form.needs_past_confirmation:
        return None

    def create():
        try:
            return services.create_task(actor=request.user, target=link, **form.service_arguments())
        except PermissionDenied as denied:
            raise ValidationError({"assignee": str(denied)}) from None

    return call_service(form, create)


def task_new(request):
    link = _link(request)
    form = _form(request, quick=False, source=task_sources.prefill_from(request.user, request.GET))
    if request.method == "POST":
        task = _create(request, form, link)
        if task is not None:
            messages.success(request, f"Task “{task}” created.")
            return redirect(task_url(task))
    return render(request, FORM, {"form": form, **link_context(link)})


def task_quick(request):
    """The quick-add modal (htmx); without htmx it is the full form."""
    if not request.htmx:
        query = request.GET.urlencode()
        return redirect(reverse("records:task_new") + (f"?{query}" if query else ""))
    link = _link(request)
    source = task_sources.prefill_from(request.user, request.GET)
    form = _form(request, quick=True, source=source)
    created = _create(request, form, link) if request.method == "POST" else None
    context = {
        "form": form,
        "created": created,
        "source": source,
        "query": request.GET.urlencode(),
        **link_context(link),
    }
    return render(request, f"{QUICK}#modal-body" if request.method == "POST" else QUICK, context)


def link_context(link) -> dict:
    return {"link": link, "link_kind": type(link)._meta.model_name if link else ""}
