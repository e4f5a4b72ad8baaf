"""Automation's pages: who sees and changes what, the builder (happy path, bad input kept,
edit conflict), switching, ordering, deleting, the dry run, the live run-log fragment, and
the query counts of the list and a rule's page."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from automation import engine, fragments, services
from automation.models import Rule, RuleRun
from tests.automation.helpers import make_rule
from tests.live_helpers import capture_events

NOTIFY_OWNER = {"type": "notify", "to": "owner", "text": "Heads up: {deal.title}"}


def notify_rule(owner, department, **fields):
    return services.create_rule(
        actor=owner,
        name=fields.pop("name", "Tell the owner"),
        trigger=fields.pop("trigger", "deal.won"),
        actions=fields.pop("actions", [NOTIFY_OWNER]),
        department=department,
        **fields,
    )


def builder_post(department, owner, **extra) -> dict:
    """What the builder posts for "when a deal's amount changes, if it is more than
    10000, notify the owner"."""
    data = {
        "name": "Big deals",
        "description": "Tell the owner of a big deal",
        "department": str(department.pk) if department else "",
        "owner": str(owner.pk),
        "trigger": "deal.field_changed",
        "opt-fields": "amount",
        "match": "all",
        "c0-field": "deal.amount",
        "c0-op": "gt",
        "c0-value": "10000",
        "a0-type": "notify",
        "a0-to": "owner",
        "a0-text": "{deal.title} is big",
        "debounce_seconds": "30",
        "enabled": "on",
    }
    data.update(extra)
    return data


# --- Who may see and change what -------------------------------------------------


def test_a_member_sees_the_rules_and_a_run_log_but_changes_nothing(
    client, member, sales_manager, sales
):
    rule = notify_rule(sales_manager, sales)
    client.force_login(member)
    listing = client.get(reverse("automation:rule_list"))
    assert listing.status_code == 200
    assert "Tell the owner" in listing.text
    assert "New rule" not in listing.text
    assert "Start from a template" not in listing.text
    assert client.get(reverse("automation:rule_detail", args=[rule.pk])).status_code == 200
    assert client.get(reverse("automation:rule_new")).status_code == 403
    assert client.get(reverse("automation:rule_edit", args=[rule.pk])).status_code == 403
    assert client.get(reverse("automation:rule_dry_run", args=[rule.pk])).status_code == 403
    switched = client.post(reverse("automation:rule_switch", args=[rule.pk]), {"enabled": "on"})
    assert switched.status_code == 403
    client.post(reverse("automation:rule_delete", args=[rule.pk]))
    rule.refresh_from_db()
    assert not rule.enabled


def test_a_manager_changes_only_the_rules_of_their_departments(
    client, sales_manager, support_manager, sales, support
):
    theirs = notify_rule(support_manager, support)
    client.force_login(sales_manager)
    assert client.get(reverse("automation:rule_edit", args=[theirs.pk])).status_code == 403
    posted = client.post(
        reverse("automation:rule_edit", args=[theirs.pk]),
        builder_post(support, sales_manager, version=str(theirs.version), name="Mine now"),
    )
    assert posted.status_code == 403
    theirs.refresh_from_db()
    assert theirs.name == "Tell the owner"
    # Their own department only, and nothing workspace-wide.
    page = client.get(reverse("automation:rule_new")).text
    belongs_to = page[
        page.index('id="rule-department"') : page.index(
            "</select>", page.index('id="rule-department"')
        )
    ]
    assert f'<option value="{sales.pk}"' in belongs_to
    assert f'<option value="{support.pk}"' not in belongs_to
    assert "Workspace-wide" not in belongs_to
    refused = client.post(reverse("automation:rule_new"), builder_post(support, sales_manager))
    assert refused.status_code == 403
    assert "Big deals" in refused.text  # what was typed is kept
    assert not Rule.objects.filter(name="Big deals").exists()


def test_an_admin_builds_a_workspace_wide_rule(client, admin):
    client.force_login(admin)
    response = client.post(reverse("automation:rule_new"), builder_post(None, admin))
    rule = Rule.objects.get(name="Big deals")
    assert response.status_code == 302
    assert response["Location"] == reverse("automation:rule_detail", args=[rule.pk])
    assert rule.department is None


def test_a_rule_that_does_not_exist_is_not_found(client, member):
    client.force_login(member)
    assert client.get(reverse("automation:rule_detail", args=[999])).status_code == 404


# --- The builder -------------------------------------------------------------------


def test_the_builder_saves_what_was_built(client, sales_manager, sales):
    client.force_login(sales_manager)
    response = client.post(reverse("automation:rule_new"), builder_post(sales, sales_manager))
    assert response.status_code == 302
    rule = Rule.objects.get(name="Big deals")
    assert rule.department == sales
    assert rule.owner == sales_manager
    assert rule.enabled
    assert rule.trigger == "deal.field_changed"
    assert rule.trigger_options == {"fields": ["amount"]}
    assert rule.conditions == [{"field": "deal.amount", "op": "gt", "value": "10000"}]
    assert rule.actions == [{"type": "notify", "to": "owner", "text": "{deal.title} is big"}]
    assert rule.debounce_seconds == 30
    page = client.get(reverse("automation:rule_detail", args=[rule.pk]))
    assert "a deal field changes" in page.text
    assert "Deal amount is more than 10000" in page.text


def test_a_refused_save_keeps_everything_typed_and_says_what_is_wrong_by_row(
    client, sales_manager, sales
):
    client.force_login(sales_manager)
    data = builder_post(
        sales, sales_manager, **{"c0-value": "lots", "a0-text": "", "debounce_seconds": "x"}
    )
    response = client.post(reverse("automation:rule_new"), data)
    assert response.status_code == 400
    assert not Rule.objects.exists()
    html = response.text
    assert 'value="Big deals"' in html
    assert 'value="lots"' in html
    assert "Condition 1:" in html and "not a number" in html
    assert "Action 1 (" in html
    assert 'id="condition-0"' in html and "has-error" in html


def test_the_builder_redraws_for_a_new_trigger_and_rows(client, sales_manager, sales):
    client.force_login(sales_manager)
    url = reverse("automation:rule_builder")
    data = builder_post(sales, sales_manager, step="add-condition")
    added = client.post(url, data, headers={"HX-Request": "true"})
    assert added.status_code == 200
    assert 'name="c1-field"' in added.text
    assert "<html" not in added.text
    removed = client.post(url, builder_post(sales, sales_manager, step="remove-condition-0"))
    assert 'name="c0-field"' not in removed.text
    action = client.post(url, builder_post(sales, sales_manager, step="add-action"))
    assert 'name="a1-type"' in action.text
    # Another trigger: its options and fields, the conditions falling back to its own.
    other = client.post(url, builder_post(sales, sales_manager, trigger="handoff.unanswered"))
    assert 'name="opt-hours"' in other.text
    assert 'name="opt-fields"' not in other.text


def test_an_action_shows_the_inputs_of_its_choice(client, sales_manager, sales):
    client.force_login(sales_manager)
    url = reverse("automation:rule_builder")
    people = client.post(url, builder_post(sales, sales_manager, **{"a0-to": "people"}))
    assert 'name="a0-people"' in people.text
    owner = client.post(url, builder_post(sales, sales_manager))
    assert 'name="a0-people"' not in owner.text


def test_a_member_cannot_use_the_builder(client, member, sales):
    client.force_login(member)
    response = client.post(reverse("automation:rule_builder"), builder_post(sales, member))
    assert response.status_code == 403


def test_editing_over_a_newer_version_is_refused_and_keeps_what_was_typed(
    client, sales_manager, admin, sales
):
    rule = notify_rule(sales_manager, sales)
    seen = rule.version
    services.update_rule(actor=admin, rule=rule, seen_version=seen, name="Renamed by admin")
    client.force_login(sales_manager)
    response = client.post(
        reverse("automation:rule_edit", args=[rule.pk]),
        builder_post(sales, sales_manager, version=str(seen), name="My better name"),
    )
    assert response.status_code == 409
    assert "saved this rule while you were editing it" in response.text
    assert 'value="My better name"' in response.text
    rule.refresh_from_db()
    assert rule.name == "Renamed by admin"


def test_the_edit_form_shows_the_rule_as_saved(client, sales_manager, sales):
    rule = notify_rule(
        sales_manager,
        sales,
        trigger="deal.field_changed",
        trigger_options={"fields": ["amount"]},
        conditions=[{"field": "deal.amount", "op": "gt", "value": "500"}],
    )
    client.force_login(sales_manager)
    page = client.get(reverse("automation:rule_edit", args=[rule.pk]))
    assert page.status_code == 200
    html = page.text
    assert f'name="version" value="{rule.version}"' in html
    assert 'value="amount" checked' in html
    assert 'value="500"' in html
    assert "Heads up: {deal.title}" in html
    saved = client.post(
        reverse("automation:rule_edit", args=[rule.pk]),
        builder_post(sales, sales_manager, version=str(rule.version), enabled=""),
    )
    assert saved.status_code == 302
    rule.refresh_from_db()
    assert rule.name == "Big deals"
    assert not rule.enabled


# --- Switching, ordering, deleting ---------------------------------------------------


def test_switching_a_rule_answers_its_row_live(client, sales_manager, sales):
    rule = notify_rule(sales_manager, sales)
    client.force_login(sales_manager)
    with capture_events() as events:
        response = client.post(
            reverse("automation:rule_switch", args=[rule.pk]),
            {"enabled": "on"},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 200
    assert response["X-Live-Event"]
    assert f'id="rule-{rule.pk}"' in response.text
    assert {event.topic for event in events} == {"automations.all", f"automation.{rule.pk}"}
    rule.refresh_from_db()
    assert rule.enabled


def test_moving_a_rule_changes_the_order(client, admin, sales):
    first, second, third = (notify_rule(admin, sales, name=f"Rule {n}") for n in (1, 2, 3))
    client.force_login(admin)
    client.post(reverse("automation:rule_move", args=[third.pk]), {"direction": "up"})
    assert list(Rule.objects.values_list("name", flat=True)) == ["Rule 1", "Rule 3", "Rule 2"]
    client.post(reverse("automation:rule_move", args=[first.pk]), {"direction": "down"})
    assert list(Rule.objects.values_list("name", flat=True)) == ["Rule 3", "Rule 1", "Rule 2"]
    client.post(reverse("automation:rule_move", args=[third.pk]), {"direction": "up"})
    assert list(Rule.objects.values_list("name", flat=True)) == ["Rule 3", "Rule 1", "Rule 2"]
    assert second.pk


def test_deleting_a_rule_removes_it_and_its_run_log(client, sales_manager, sales):
    rule = notify_rule(sales_manager, sales)
    RuleRun.objects.create(rule=rule, key="occ:1", status=RuleRun.Status.DONE)
    client.force_login(sales_manager)
    response = client.post(reverse("automation:rule_delete", args=[rule.pk]))
    assert response.status_code == 302
    assert not Rule.objects.exists()
    assert not RuleRun.objects.exists()


# --- The run log and the dry run ---------------------------------------------------------


def finished_run(rule, n: int, **fields) -> RuleRun:
    return RuleRun.objects.create(
        rule=rule,
        key=f"occ:{n}",
        subject_type="deal",
        subject_id=n,
        subject_label=f"Deal: Deal {n}",
        trigger_summary="Deal won",
        status=fields.pop("status", RuleRun.Status.DONE),
        conditions_report=[{"text": "Deal amount is more than 10", "passed": True, "actual": "12"}],
        steps=[{"index": 0, "type": "notify", "summary": "Notified Ana", "status": "done"}],
        **fields,
    )


def test_the_run_log_shows_what_matched_and_what_was_done(client, member, sales_manager, sales):
    rule = notify_rule(sales_manager, sales)
    finished_run(rule, 1)
    finished_run(rule, 2, status=RuleRun.Status.FAILED, error="Dana has left.")
    client.force_login(member)
    html = client.get(reverse("automation:rule_detail", args=[rule.pk])).text
    assert "Deal: Deal 1" in html and reverse("records:deal_detail", args=[1]) in html
    assert "Deal amount is more than 10" in html
    assert "Notified Ana" in html
    assert "Dana has left." in html
    assert html.index("Deal: Deal 2") < html.index("Deal: Deal 1")  # newest first


def test_the_run_log_pages(client, member, sales_manager, sales):
    rule = notify_rule(sales_manager, sales)
    for n in range(30):
        finished_run(rule, n)
    client.force_login(member)
    url = reverse("automation:rule_detail", args=[rule.pk])
    second = client.get(url, {"page": 2}, headers={"HX-Request": "true"})
    assert second.status_code == 200
    assert second.text.count('class="run-row is-') == 5
    assert "<html" not in second.text
    assert f'id="run-rows-{rule.pk}"' not in second.text  # live runs go to the first page


def test_a_run_row_is_published_for_the_top_of_the_log_and_the_rules_list(sales_manager, sales):
    rule = notify_rule(sales_manager, sales)
    run = finished_run(rule, 7)
    html = fragments.run_row_html(run)
    assert f'hx-swap-oob="afterbegin:#run-rows-{rule.pk}"' in html
    assert f'id="run-{run.pk}"' in html
    assert f'id="rule-{rule.pk}-last"' in html
    with capture_events(2) as events:
        engine.publish_run(run)
    assert {event.topic for event in events} == {f"automation.{rule.pk}", "automations.all"}
    assert all(event.html == html for event in events)


def test_the_dry_run_shows_what_would_happen(client, sales_manager, sales):
    rule = notify_rule(sales_manager, sales)
    client.force_login(sales_manager)
    url = reverse("automation:rule_dry_run", args=[rule.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Nothing was done" in page.text
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert not RuleRun.objects.exists()


# --- No N+1 ------------------------------------------------------------------------------


def queries_of(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_3_rules_as_for_30(client, admin, sales, support):
    client.force_login(admin)
    url = reverse("automation:rule_list")
    for n in range(3):
        finished_run(make_rule(owner=admin, trigger="deal.won", department=sales), n)
    few = queries_of(client, url)
    for n in range(3, 30):
        department = sales if n % 2 else support
        finished_run(make_rule(owner=admin, trigger="deal.won", department=department), n)
    assert queries_of(client, url) == few


def test_a_rules_page_costs_the_same_queries_for_3_runs_as_for_25(client, admin, sales):
    rule = notify_rule(admin, sales)
    client.force_login(admin)
    url = reverse("automation:rule_detail", args=[rule.pk])
    for n in range(3):
        finished_run(rule, n)
    few = queries_of(client, url)
    for n in range(3, 25):
        finished_run(rule, n)
    assert queries_of(client, url) == few


def test_a_new_rule_starts_from_the_grouped_triggers_and_one_action(client, admin):
    client.force_login(admin)
    page = client.get(reverse("automation:rule_new")).text
    assert '<optgroup label="Deals">' in page
    assert '<option value="deal.won"' in page
    assert 'name="a0-type"' in page
    assert 'name="c0-field"' not in page
