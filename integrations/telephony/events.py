"""What calls publish on the live bus (DESIGN §4).

* the caller's card, on the agent's own topic ``user.<id>`` (records.events.user_topic):
  ``call.ringing`` / ``call.answered`` insert or redraw it in ``#call-pop`` (templates/base.html)
  of every open tab; ``call.ended`` / ``call.missed`` take it away;
* ``call.ended`` / ``call.missed`` also go to the client's topic with its new timeline entry
  (records' fragments draw it), in the same event.

Automation (issue 20) routes missed calls with a listener:
``workspace.live.register_listener("call.missed", handler)``; the payload carries ``id``
(the call), ``client``, ``contact``, ``agent``, ``notified`` (who was told), ``task`` (the
callback task or None) and ``number``.
"""

from django.template.loader import render_to_string

from integrations.telephony import selectors
from records import fragments
from records.events import client_topic, user_topic
from workspace import live

SHOWN = ("call.ringing", "call.answered")


def card_id(call) -> str:
    return f"call-{call.pk}"


def publish(call, kind: str, *, person=None, entry=None, **extra) -> None:
    """Publish ``kind`` about ``call``: to ``person``'s tabs (default: the agent's) and,
    with ``entry`` (its timeline entry), to the client's page."""
    person = person or call.agent
    topics = [user_topic(person.pk)] if person else []
    payload = {
        "id": call.pk,
        "client": call.client_id,
        "contact": call.contact_id,
        "agent": call.agent_id,
        "number": call.caller_number,
        **extra,
    }
    html = _card_html(call, kind)
    if entry is not None:
        topics.append(client_topic(call.client_id))
        payload["timeline"] = entry.pk
        html += fragments.render(kind, payload) or ""
    if topics:
        live.publish_each(topics, kind, payload, html=html)


def _card_html(call, kind: str) -> str:
    if kind in SHOWN:
        return render_to_string("telephony/pop.html#card-oob", selectors.card(call))
    return f'<div id="{card_id(call)}" hx-swap-oob="delete"></div>'
