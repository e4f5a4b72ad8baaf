"""The demo's phone: extensions for the people who take calls, and a few calls from clients —
answered ones on the timeline with their length and recording, a missed one with its
callback task, one from a number nobody knows.

The events go through the webhook's own parser and service (integrations/telephony), as a
phone system's would; only the signature is left out. Then the calls are moved back a few
hours so they read as today's.
"""

import json
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from integrations.telephony import incoming, services
from integrations.telephony.models import Call
from records.models import Contact, TimelineEntry

PROVIDER = "demo-pbx"
OFFICE_NUMBER = "+49 30 55501000"
FIRST_EXTENSION = 201
# contact index, minutes talked (0: missed), with a recording
ANSWERED = ((0, 7, True), (1, 3, False), (2, 12, True))
MISSED = (3,)
UNKNOWN_CALLER = "+44 20 7946 0958"


def seed_calls() -> dict[str, int]:
    """Write the demo's calls once (they are there when any call is)."""
    if Call.objects.exists():
        return {}
    agents = _extensions()
    contacts = _callers()
    if not agents or len(contacts) < len(ANSWERED) + len(MISSED):
        return {}
    with transaction.atomic():
        for number, (index, minutes, recorded) in enumerate(ANSWERED):
            _answered_call(
                f"a{number}", contacts[index], agents[number % len(agents)], minutes, recorded
            )
        for number, index in enumerate(MISSED):
            _missed_call(f"m{number}", contacts[index].phones[0], agents[0])
        _missed_call("unknown", UNKNOWN_CALLER, agents[-1])
        _move_back()
    return {
        "extensions": len(agents),
        "calls": Call.objects.count(),
        "missed": Call.objects.filter(state=Call.State.MISSED).count(),
    }


def _extensions() -> list[User]:
    """Sales and support people get extensions 201, 202, … (the login among them)."""
    people = list(
        User.objects.filter(departments__slug__in=["sales", "support"], is_active=True)
        .distinct()
        .order_by("pk")
    )
    for offset, person in enumerate(people):
        if not person.phone_extension:
            person.phone_extension = str(FIRST_EXTENSION + offset)
            person.save(update_fields=["phone_extension"])
    return people


def _callers() -> list[Contact]:
    return list(
        Contact.objects.filter(client__archived=False, client__merged_into=None)
        .exclude(phones=[])
        .select_related("client")
        .order_by("-client__updated_at", "pk")[:10]
    )


def _event(call_id: str, event: str, caller: str, agent: User, **extra) -> None:
    body = {
        "provider": PROVIDER,
        "call_id": call_id,
        "event": event,
        "direction": "inbound",
        "from": caller,
        "to": OFFICE_NUMBER,
        "agent": agent.phone_extension,
        **extra,
    }
    services.handle_event(event=incoming.parse(json.dumps(body).encode()))


def _answered_call(call_id, contact: Contact, agent: User, minutes: int, recorded: bool):
    caller = contact.phones[0]
    _event(call_id, "ringing", caller, agent)
    _event(call_id, "answered", caller, agent)
    recording = {"recording_url": f"https://pbx.northwind.example/rec/{call_id}.mp3"}
    _event(
        call_id, "ended", caller, agent, duration=minutes * 60, **(recording if recorded else {})
    )


def _missed_call(call_id: str, caller: str, agent: User) -> None:
    _event(call_id, "ringing", caller, agent)
    _event(call_id, "missed", caller, agent)


def _move_back() -> None:
    """Spread the calls over the last hours, their timeline entries with them."""
    for hours, call in enumerate(Call.objects.order_by("pk"), start=1):
        shift = timedelta(hours=hours)
        Call.objects.filter(pk=call.pk).update(started_at=call.started_at - shift)
        TimelineEntry.objects.filter(kind=TimelineEntry.Kind.CALL, data__call=call.pk).update(
            created_at=timezone.now() - shift
        )
