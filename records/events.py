"""The live topics records publishes (DESIGN §4).

``client.<id>``, ``deal.<id>``, ``ticket.<id>`` and ``pipeline.<id>`` are seen
by all staff (records are shared); the policies live in records/policies.py.
Fragments (``html``) come with the views; services publish payloads now.
"""

from records import policies
from workspace import live

live.register_topic("client", policies.can_follow_client)
live.register_topic("deal", policies.can_follow_deal)
live.register_topic("ticket", policies.can_follow_ticket)
live.register_topic("pipeline", policies.can_follow_pipeline)


def client_topic(client_id: int) -> str:
    return f"client.{client_id}"


def deal_topic(deal_id: int) -> str:
    return f"deal.{deal_id}"


def ticket_topic(ticket_id: int) -> str:
    return f"ticket.{ticket_id}"


def pipeline_topic(pipeline_id: int) -> str:
    return f"pipeline.{pipeline_id}"


def publish(topics, kind: str, payload: dict) -> list:
    """Publish one event on each topic (in order, no duplicates); returns the Events."""
    return [live.publish(topic, kind, payload) for topic in dict.fromkeys(topics)]
