"""Tasks on record pages: ``{% load tasks_ui %}`` then ``{% record_tasks obj %}``.

The card lists the open tasks linked to a client, deal or ticket (rows from
records/task_rows.html, live through the record's own topic: task events are
published on the linked record's page topics) with a quick-add prefilled with
the link.
"""

from django import template

from records.selectors.tasks import record_tasks as open_tasks_of

register = template.Library()


@register.inclusion_tag("records/task_rows.html#record-card", takes_context=True)
def record_tasks(context, obj):
    name = type(obj)._meta.model_name
    return {
        "record": obj,
        "record_kind": name,
        "list_id": f"record-tasks-{name}-{obj.pk}-list",
        "tasks": open_tasks_of(obj),
        "place": "record",
        "csrf_token": context.get("csrf_token"),
    }
