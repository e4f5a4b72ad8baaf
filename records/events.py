"""The live topics records publishes (DESIGN §4).

* ``client.<id>``, ``deal.<id>``, ``ticket.<id>``: a record's page (the client
  page also shows its timeline, contacts, deals and tickets);
* ``pipeline.<id>``: a kanban board;
* ``list.clients``, ``list.contacts``, ``list.deals``, ``list.tickets``: the
  list pages (rows changed or added by others);
* ``task.<id>``: a task's page (checklist, comments), for those who may see
  the task;
* ``tasks.<department id>``: the team task board, for the department's
  managers and admins;
* ``handoffs.<department id>``: the department's handoffs inbox, for its
  members and admins.

Tasks also reach their assignee's own feed, ``user.<id>`` (registered by
accounts). Records are seen by all staff (records are shared); the policies
live in records/policies.py. Each event carries one fragment for all its topics,
rendered once by records/fragments.
"""

from records import fragments, policies
from workspace import live

live.register_topic("client", policies.can_follow_client)
live.register_topic("deal", policies.can_follow_deal)
live.register_topic("ticket", policies.can_follow_ticket)
live.register_topic("pipeline", policies.can_follow_pipeline)
live.register_topic("list", policies.can_follow_list)
live.register_topic("task", policies.can_follow_task)
live.register_topic("tasks", policies.can_follow_team_tasks)
live.register_topic("handoffs", policies.can_follow_handoffs)


def client_topic(client_id: int) -> str:
    return f"client.{client_id}"


def deal_topic(deal_id: int) -> str:
    return f"deal.{deal_id}"


def ticket_topic(ticket_id: int) -> str:
    return f"ticket.{ticket_id}"


def pipeline_topic(pipeline_id: int) -> str:
    return f"pipeline.{pipeline_id}"


def task_topic(task_id: int) -> str:
    return f"task.{task_id}"


def team_tasks_topic(department_id: int) -> str:
    return f"tasks.{department_id}"


def handoffs_topic(department_id: int) -> str:
    return f"handoffs.{department_id}"


def user_topic(user_id: int) -> str:
    """A person's own feed (the prefix and its policy belong to accounts/events.py)."""
    return f"user.{user_id}"


def list_topic(name: str) -> str:
    if name not in policies.LISTS:
        raise ValueError(f"{name!r} is not one of the lists {policies.LISTS}.")
    return f"list.{name}"


def task_access_changed(task) -> None:
    """Who may see the task changed (its assignee did): open tabs re-check its topic."""
    live.recheck_access(topics=[task_topic(task.pk)])


def publish(topics, kind: str, payload: dict) -> list:
    """Publish one event on each topic (in order, no duplicates), sharing one fragment."""
    return live.publish_each(topics, kind, payload, html=fragments.render(kind, payload))
