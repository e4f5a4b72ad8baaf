"""Task pages: My tasks, the team board, a task's page, creating, quick-add, live rows."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from records import services
from records.models import ChecklistItem, Task
from records.selectors.tasks import section_of
from tests.factories import UserFactory
from tests.live_helpers import capture_events

HTMX = {"HTTP_HX_REQUEST": "true"}
MY_TASKS = reverse("records:my_tasks")
TEAM = reverse("records:team_tasks")
NEW = reverse("records:task_new")
QUICK = reverse("records:task_quick")


def detail_url(task) -> str:
    return reverse("records:task_detail", args=[task.pk])


def status_url(task) -> str:
    return reverse("records:task_status", args=[task.pk])


def make_task(actor, assignee=None, *, hours: float | None = 24, **fields) -> Task:
    due = timezone.now() + timedelta(hours=hours) if hours is not None else None
    fields.setdefault("title", "Call Acme")
    return services.create_task(actor=actor, assignee=assignee or actor, due_at=due, **fields)


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def other_sales(sales):
    return UserFactory(role=Role.MEMBER, departments=[sales], full_name="Sam Sales")


# --- My tasks ---------------------------------------------------------------------


def test_my_tasks_sorts_my_open_tasks_into_sections(client, member, noon_for):
    noon_for(member)  # two hours ago and in three minutes are both today for them
    late = make_task(member, title="Late one", hours=-2)
    soon = make_task(member, title="Due soon", hours=0.05)
    later = make_task(member, title="Next week", hours=24 * 7)
    done = make_task(member, title="Finished")
    services.set_task_status(actor=member, task=done, status="done")
    client.force_login(member)
    page = html(client.get(MY_TASKS))
    overdue = page.index(f'id="my-{member.pk}-overdue"')
    today = page.index(f'id="my-{member.pk}-today"')
    upcoming = page.index(f'id="my-{member.pk}-upcoming"')
    finished = page.index(f'id="my-{member.pk}-done"')
    assert overdue < page.index(f'id="minetask-{late.pk}"') < today
    assert today < page.index(f'id="minetask-{soon.pk}"') < upcoming
    assert upcoming < page.index(f'id="minetask-{later.pk}"') < finished
    assert finished < page.index(f'id="minetask-{done.pk}"')
    assert "is-overdue" in page[page.index(f'id="minetask-{late.pk}"') - 200 :][:400]


def test_today_is_the_assignees_day(member):
    """23:30 in Tokyo is tomorrow in London: "today" follows the assignee's zone."""
    member.timezone = "Asia/Tokyo"
    member.save()
    moment = timezone.now().replace(hour=14, minute=0)  # 23:00 in Tokyo
    task = make_task(member, hours=None)
    task.due_at = moment + timedelta(hours=2)  # 01:00 tomorrow in Tokyo, 16:00 UTC today
    assert section_of(task, moment) == "upcoming"
    task.due_at = moment + timedelta(minutes=30)
    assert section_of(task, moment) == "today"


def test_my_tasks_shows_only_mine(client, member, other_sales, sales_manager):
    theirs = make_task(sales_manager, other_sales, title="Not yours")
    client.force_login(member)
    assert f"minetask-{theirs.pk}" not in html(client.get(MY_TASKS))


def test_my_tasks_htmx_gets_the_list_without_the_shell(client, member):
    make_task(member)
    client.force_login(member)
    page = html(client.get(MY_TASKS, **HTMX))
    assert 'id="my-tasks"' in page
    assert "<html" not in page


def test_done_tasks_page_on(client, member):
    for n in range(12):
        services.set_task_status(
            actor=member, task=make_task(member, title=f"Old {n}"), status="done"
        )
    client.force_login(member)
    assert 'id="my-done-more"' in html(client.get(MY_TASKS))
    more = html(client.get(MY_TASKS, {"done_page": 2}, **HTMX))
    assert more.count('class="task-row') == 2
    assert f'hx-swap-oob="beforeend:#my-{member.pk}-done"' in more


# Session, user, bell, live cursor, open tasks, done count + page: 7 with 1 or 15 tasks.
MY_TASKS_QUERY_BUDGET = 7


@pytest.mark.parametrize("count", [1, 15])
def test_my_tasks_query_count_is_constant(
    client, member, acme, sales_manager, count, django_assert_max_num_queries
):
    for n in range(count):
        task = make_task(sales_manager, member, title=f"T{n}", target=acme, checklist=["a", "b"])
        if n % 3 == 0:
            services.set_task_status(actor=member, task=task, status="done")
    client.force_login(member)
    with django_assert_max_num_queries(MY_TASKS_QUERY_BUDGET):
        assert client.get(MY_TASKS).status_code == 200


# --- Complete, reopen ----------------------------------------------------------------


def test_completing_from_the_list_answers_with_the_live_row(client, member):
    task = make_task(member)
    client.force_login(member)
    response = client.post(status_url(task), {"status": "done"}, **HTMX)
    assert response.status_code == 200
    assert response["X-Live-Event"]
    assert f"afterbegin:#my-{member.pk}-done" in html(response)
    assert Task.objects.get(pk=task.pk).status == "done"
    client.post(status_url(task), {"status": "open"}, **HTMX)
    assert Task.objects.get(pk=task.pk).status == "open"


def test_a_stranger_cannot_complete_a_private_task(client, member, support_member):
    task = make_task(member)
    client.force_login(support_member)
    assert client.post(status_url(task), {"status": "done"}, **HTMX).status_code == 404
    assert Task.objects.get(pk=task.pk).status == "open"


def test_an_onlooker_of_a_linked_task_sees_it_but_cannot_change_it(
    client, member, support_member, acme
):
    task = make_task(member, target=acme)
    client.force_login(support_member)
    page = client.get(detail_url(task))
    assert page.status_code == 200
    assert '<fieldset class="card-body" disabled>' in html(page)
    refused = client.post(status_url(task), {"status": "done"}, **HTMX)
    assert refused.status_code == 403
    assert "cannot" in html(refused)


def test_a_bad_status_is_refused_readably(client, member):
    task = make_task(member)
    client.force_login(member)
    response = client.post(status_url(task), {"status": "finished"}, **HTMX)
    assert response.status_code == 422
    assert "not a task status" in html(response)


def test_writes_are_post_only(client, member):
    task = make_task(member)
    client.force_login(member)
    assert client.get(status_url(task)).status_code == 405


# --- The task page ---------------------------------------------------------------------


def test_task_page_full_and_htmx(client, member):
    task = make_task(member, checklist=["Prepare"])
    client.force_login(member)
    page = html(client.get(detail_url(task)))
    assert f'id="task-head-{task.pk}"' in page
    assert f'id="field-task-{task.pk}-due_at"' in page
    assert f'id="comments-task-{task.pk}"' in page
    assert "Prepare" in page
    assert "<html" not in html(client.get(detail_url(task), **HTMX))


@pytest.mark.parametrize(
    ("viewer", "visible"),
    [
        ("member", True),  # the assignee
        ("sales_manager", True),  # manages the assignee's department
        ("admin", True),
        ("other_sales", False),  # same department, not a manager
        ("support_manager", False),  # manages another department
        ("support_member", False),
    ],
)
def test_who_sees_a_private_task(client, request, member, sales_manager, viewer, visible):
    task = make_task(member)
    client.force_login(request.getfixturevalue(viewer))
    assert client.get(detail_url(task)).status_code == (200 if visible else 404)


def test_missing_task_is_404(client, member):
    client.force_login(member)
    assert client.get(reverse("records:task_detail", args=[999999])).status_code == 404


@pytest.mark.parametrize("checklist", [0, 20])
def test_task_page_query_count_is_constant(
    client, member, acme, checklist, django_assert_max_num_queries
):
    task = make_task(member, target=acme, checklist=[f"step {n}" for n in range(checklist)])
    for n in range(checklist // 4):
        services.post_comment(actor=member, target=task, body=f"note {n}")
    client.force_login(member)
    client.get(detail_url(task))
    with django_assert_max_num_queries(26):
        assert client.get(detail_url(task)).status_code == 200


def test_editing_the_due_time_goes_through_the_field_editor(client, member):
    member.timezone = "Europe/Berlin"
    member.save()
    task = make_task(member, hours=None)
    client.force_login(member)
    url = reverse("records:field_edit", args=["task", task.pk, "due_at"])
    editor = html(client.get(url, **HTMX))
    assert 'type="datetime-local"' in editor
    with capture_events() as events:
        response = client.post(url, {"value": "2030-05-06T09:30", "seen_value": ""}, **HTMX)
    assert response.status_code == 200
    task.refresh_from_db()
    assert task.due_at.isoformat() == "2030-05-06T07:30:00+00:00"  # 09:30 in Berlin
    assert any(f"field-task-{task.pk}-due_at-value" in e.html for e in events)
    # The editor starts from the assignee's wall-clock time, so no false conflict.
    assert 'value="2030-05-06T09:30"' in html(client.get(url, **HTMX))


def test_reassign_only_to_people_one_may_assign(client, member, other_sales, sales_manager):
    task = make_task(sales_manager, member)
    client.force_login(member)
    refused = client.post(
        reverse("records:task_reassign", args=[task.pk]), {"assignee": other_sales.pk}, **HTMX
    )
    assert refused.status_code == 403
    client.force_login(sales_manager)
    with capture_events() as events:
        done = client.post(
            reverse("records:task_reassign", args=[task.pk]), {"assignee": other_sales.pk}, **HTMX
        )
    assert done.status_code == 200
    assert Task.objects.get(pk=task.pk).assignee == other_sales
    fragment = next(e for e in events if e.topic == f"user.{member.pk}").html
    assert f'id="minetask-{task.pk}" hx-swap-oob="delete"' in fragment
    assert f"afterbegin:#my-{other_sales.pk}-" in fragment


def test_reassign_form_is_shown_only_where_allowed(client, member, sales_manager):
    task = make_task(member)
    client.force_login(member)
    assert "task-reassign" not in html(client.get(detail_url(task)))
    client.force_login(sales_manager)
    assert "task-reassign" in html(client.get(detail_url(task)))


def test_checklist_add_tick_remove_live(client, member):
    task = make_task(member)
    client.force_login(member)
    add = reverse("records:task_checklist_add", args=[task.pk])
    with capture_events() as events:
        response = client.post(add, {"text": "Draft the offer"}, **HTMX)
    item = ChecklistItem.objects.get(task=task)
    assert response.status_code == 200
    assert f'id="checklist-item-{item.pk}"' in html(response)
    assert any(f'id="minetask-{task.pk}"' in e.html and "0/1" in e.html for e in events)

    tick = reverse("records:task_checklist_toggle", args=[task.pk, item.pk])
    response = client.post(tick, {"done": "1"}, **HTMX)
    assert ChecklistItem.objects.get(pk=item.pk).done
    assert "1/1" in html(response)

    remove = reverse("records:task_checklist_remove", args=[task.pk, item.pk])
    client.post(remove, **HTMX)
    assert not ChecklistItem.objects.filter(pk=item.pk).exists()


def test_empty_checklist_step_is_refused(client, member):
    task = make_task(member)
    client.force_login(member)
    response = client.post(
        reverse("records:task_checklist_add", args=[task.pk]), {"text": "  "}, **HTMX
    )
    assert response.status_code == 422
    assert not task.checklist.exists()


def test_checklist_item_of_another_task_is_404(client, member):
    task, other = make_task(member), make_task(member, title="Other")
    item = services.add_checklist_item(actor=member, task=other, text="x")
    client.force_login(member)
    url = reverse("records:task_checklist_toggle", args=[task.pk, item.pk])
    assert client.post(url, {"done": "1"}, **HTMX).status_code == 404


def test_comments_on_a_task(client, member):
    task = make_task(member)
    client.force_login(member)
    url = reverse("records:comment_thread", args=["task", task.pk])
    response = client.post(url, {"body": "On it"}, **HTMX)
    assert response.status_code == 200
    assert task.comments.get().body == "On it"


# --- Creating -----------------------------------------------------------------------


def future(hours=48) -> str:
    return (timezone.localtime(timezone.now()) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def test_create_a_task_for_myself(client, member):
    client.force_login(member)
    response = client.post(
        NEW,
        {
            "title": "Write the proposal",
            "assignee": member.pk,
            "due": future(),
            "priority": "high",
            "reminder": "60",
            "recurrence": "weekly",
            "description": "**bold**",
        },
    )
    task = Task.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(task)
    assert (task.priority, task.recurrence, task.reminder_minutes) == ("high", "weekly", 60)
    assert task.assigned_by == member


def test_due_time_is_read_in_the_assignees_zone(client, sales_manager, member):
    member.timezone = "America/New_York"
    member.save()
    client.force_login(sales_manager)
    client.post(
        NEW,
        {
            "title": "Call",
            "assignee": member.pk,
            "due": "2030-01-10T09:00",
            "priority": "normal",
            "recurrence": "none",
        },
    )
    assert Task.objects.get().due_at.isoformat() == "2030-01-10T14:00:00+00:00"


def test_the_new_form_names_the_zone_and_offers_only_assignable_people(
    client, member, other_sales, sales_manager
):
    client.force_login(member)
    page = html(client.get(NEW))
    assert "data-task-zone" in page
    assert other_sales.full_name not in page
    client.force_login(sales_manager)
    page = html(client.get(NEW))
    assert other_sales.full_name in page
    assert f'data-zone="{other_sales.timezone}"' in page


@pytest.mark.parametrize(
    ("actor", "assignee", "allowed"),
    [
        ("member", "member", True),
        ("member", "other_sales", False),
        ("sales_manager", "other_sales", True),
        ("sales_manager", "support_member", False),
        ("support_manager", "member", False),
        ("admin", "support_member", True),
    ],
)
def test_who_may_assign_to_whom(client, request, other_sales, actor, assignee, allowed):
    actor, assignee = request.getfixturevalue(actor), request.getfixturevalue(assignee)
    client.force_login(actor)
    response = client.post(
        NEW,
        {
            "title": "Work",
            "assignee": assignee.pk,
            "due": future(),
            "priority": "normal",
            "recurrence": "none",
        },
    )
    assert Task.objects.exists() == allowed
    if not allowed:
        assert response.status_code == 200
        assert "Pick one of the people you may assign tasks to." in html(response)


def test_bad_input_saves_nothing(client, member):
    client.force_login(member)
    response = client.post(
        NEW,
        {
            "title": "",
            "assignee": member.pk,
            "due": "tomorrow-ish",
            "priority": "whenever",
            "recurrence": "none",
        },
    )
    page = html(response)
    assert response.status_code == 200
    assert "Give the task a title." in page
    assert "Enter a date and a time" in page
    assert not Task.objects.exists()


def test_a_past_due_time_warns_before_saving(client, member):
    client.force_login(member)
    data = {
        "title": "Log yesterday's call",
        "assignee": member.pk,
        "due": "2020-01-01T10:00",
        "priority": "normal",
        "recurrence": "none",
    }
    warned = html(client.post(NEW, data))
    assert "The due time has already passed." in warned
    assert 'name="past_ok" value="1"' in warned
    assert not Task.objects.exists()
    response = client.post(NEW, {**data, "past_ok": "1"})
    assert response.status_code == 302
    assert Task.objects.get().is_overdue


def test_create_linked_to_a_record_from_the_query(client, member, deal):
    client.force_login(member)
    url = f"{NEW}?deal={deal.pk}"
    assert deal.title in html(client.get(url))
    client.post(
        url,
        {
            "title": "Send quote",
            "assignee": member.pk,
            "due": future(),
            "priority": "normal",
            "recurrence": "none",
        },
    )
    assert Task.objects.get().deal == deal


def test_a_missing_link_is_404(client, member):
    client.force_login(member)
    assert client.get(f"{NEW}?client=999999").status_code == 404


def test_assignee_prefill(client, sales_manager, other_sales):
    client.force_login(sales_manager)
    page = html(client.get(f"{NEW}?assignee={other_sales.pk}"))
    assert f'<option value="{other_sales.pk}" selected data-zone="{other_sales.timezone}"' in page


# --- Quick-add ------------------------------------------------------------------------


def test_quick_add_modal_and_create(client, sales_manager, other_sales, acme):
    client.force_login(sales_manager)
    modal = html(client.get(f"{QUICK}?client={acme.pk}", **HTMX))
    assert "data-task-modal" in modal
    assert "js/tasks.js" in modal
    assert acme.name in modal
    response = client.post(
        f"{QUICK}?client={acme.pk}",
        {"title": "Check in", "assignee": other_sales.pk, "due": future()},
        **HTMX,
    )
    assert "Task created" in html(response)
    task = Task.objects.get()
    assert (task.client, task.assignee) == (acme, other_sales)


def test_quick_add_errors_stay_in_the_modal(client, member):
    client.force_login(member)
    response = client.post(QUICK, {"title": "", "assignee": member.pk}, **HTMX)
    assert 'id="task-quick-body"' in html(response)
    assert "Give the task a title." in html(response)
    assert not Task.objects.exists()


def test_quick_add_without_htmx_is_the_full_form(client, member, acme):
    client.force_login(member)
    response = client.get(f"{QUICK}?client={acme.pk}")
    assert response.status_code == 302
    assert response["Location"] == f"{NEW}?client={acme.pk}"


def test_top_bar_has_the_quick_add_button(client, member):
    client.force_login(member)
    assert f'hx-get="{QUICK}"' in html(client.get(MY_TASKS))


# --- Record pages ---------------------------------------------------------------------


def test_record_pages_show_their_open_tasks(client, member, acme, deal, ticket):
    for target in (acme, deal, ticket):
        task = make_task(member, title=f"For {target}", target=target)
        name = type(target)._meta.model_name
        client.force_login(member)
        page = html(client.get(reverse(f"records:{name}_detail", args=[target.pk])))
        assert f'id="record-tasks-{name}-{target.pk}-list"' in page
        assert f'id="recordtask-{task.pk}"' in page
        assert f"{QUICK}?{name}={target.pk}" in page


def test_a_new_linked_task_goes_to_its_records_card(member, acme):
    with capture_events() as events:
        task = make_task(member, target=acme)
    fragment = next(e for e in events if e.topic == f"client.{acme.pk}").html
    assert f"afterbegin:#record-tasks-client-{acme.pk}-list" in fragment
    assert f'id="recordtask-{task.pk}"' in fragment


# --- Team board -----------------------------------------------------------------------


def test_team_board_is_for_managers_and_admins(client, member, sales_manager, admin):
    client.force_login(member)
    assert client.get(TEAM).status_code == 403
    for viewer in (sales_manager, admin):
        client.force_login(viewer)
        assert client.get(TEAM).status_code == 200


def test_team_board_shows_people_of_my_departments(
    client, sales_manager, member, other_sales, support_member
):
    late = make_task(sales_manager, member, title="Late", hours=-1)
    make_task(sales_manager, member, title="Fine")
    hidden = make_task(support_member, title="Support work")
    client.force_login(sales_manager)
    page = html(client.get(TEAM))
    assert f'id="team-person-{member.pk}-tasks"' in page
    assert f'id="teamtask-{late.pk}"' in page
    assert f'id="teamtask-{hidden.pk}"' not in page
    counts = page[page.index(f'id="team-person-{member.pk}-counts"') :][:400]
    assert "<strong>2</strong> open" in counts
    assert "<strong>1</strong> overdue" in counts
    assert f"tasks.{sales_manager.departments.get().pk}" in page  # the live topic


def test_team_board_department_filter(client, admin, sales, support, member, support_member):
    client.force_login(admin)
    page = html(client.get(TEAM, {"department": support.pk}))
    assert f"team-person-{support_member.pk}-tasks" in page
    assert f"team-person-{member.pk}-tasks" not in page
    client.force_login(UserFactory(role=Role.MANAGER, departments=[sales]))
    assert client.get(TEAM, {"department": support.pk}).status_code == 404


# Session, user, departments, people with counts, their open tasks; 1 or 8 people.
TEAM_QUERY_BUDGET = 7


@pytest.mark.parametrize("people", [1, 8])
def test_team_board_query_count_is_constant(
    client, sales, sales_manager, acme, people, django_assert_max_num_queries
):
    for n in range(people):
        person = UserFactory(role=Role.MEMBER, departments=[sales])
        for m in range(3):
            make_task(sales_manager, person, title=f"{n}.{m}", target=acme, checklist=["x"])
    client.force_login(sales_manager)
    with django_assert_max_num_queries(TEAM_QUERY_BUDGET):
        assert client.get(TEAM).status_code == 200


def test_completing_updates_the_managers_board(member, sales_manager):
    task = make_task(sales_manager, member)
    with capture_events() as events:
        services.set_task_status(actor=member, task=task, status="done")
    board = next(e for e in events if e.topic.startswith("tasks.")).html
    assert f'id="teamtask-{task.pk}" hx-swap-oob="delete"' in board
    assert f'id="team-person-{member.pk}-counts" hx-swap-oob="true"' in board
    assert "<strong>0</strong> open" in board


# --- Fragments carry row ids -----------------------------------------------------------


def test_an_assigned_task_arrives_in_the_assignees_list(member, sales_manager, noon_for):
    noon_for(member)  # due 12 minutes later: today for the assignee
    with capture_events() as events:
        task = make_task(sales_manager, member, hours=0.2)
    mine = next(e for e in events if e.topic == f"user.{member.pk}" and e.kind == "task.created")
    assert f"afterbegin:#my-{member.pk}-today" in mine.html
    assert f'id="minetask-{task.pk}"' in mine.html


def test_a_title_change_replaces_rows_in_place(member):
    task = make_task(member)
    with capture_events() as events:
        services.update_field(
            actor=member, obj=task, field="title", value="New", seen_value="Call Acme"
        )
    fragment = next(e for e in events if e.topic == f"task.{task.pk}").html
    assert f'id="minetask-{task.pk}" hx-swap-oob="true"' in fragment
    assert "afterbegin:#my-" not in fragment
    assert f'id="task-head-{task.pk}" hx-swap-oob="true"' in fragment


def test_moving_the_due_time_moves_the_row(member):
    task = make_task(member, hours=24 * 5)
    with capture_events() as events:
        services.update_field(
            actor=member,
            obj=task,
            field="due_at",
            value=timezone.now() - timedelta(hours=1),
            seen_value=task.due_at.isoformat(),
        )
    fragment = next(e for e in events if e.topic == f"user.{member.pk}").html
    assert f'id="minetask-{task.pk}" hx-swap-oob="delete"' in fragment
    assert f"afterbegin:#my-{member.pk}-overdue" in fragment


def test_a_deleted_task_leaves_every_list(member, sales_manager):
    task = make_task(sales_manager, member)
    with capture_events() as events:
        services.delete_task(actor=sales_manager, task=task)
    fragment = next(e for e in events if e.kind == "task.deleted").html
    for place in ("minetask", "teamtask", "recordtask"):
        assert f'id="{place}-{task.pk}" hx-swap-oob="delete"' in fragment
