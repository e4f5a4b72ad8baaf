"""Call events from the phone system → calls, pop-ups, timeline entries, callback tasks.

The webhook view (integrations/telephony/views.py) has checked the request's signature:
that is the right to write here (DESIGN §3 step 1), so ``handle_event`` takes no actor.

A call only moves forward: ringing → answered → ended, or ringing → missed; ended and
missed are final. Phone systems resend events and may deliver them out of order, so an
event that would not move the call forward changes nothing ("duplicate"); an "answered"
or "ended" that arrives first creates the call as if it had rung. "ended" for a call
never answered (no "answered", no duration) means missed.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from accounts.services import notify
from integrations.telephony import events, selectors
from integrations.telephony.incoming import CallEvent
from integrations.telephony.models import Call
from integrations.telephony.templatetags.calls import call_duration
from records import events as records_events
from records.events import client_topic
from records.models import Priority, TimelineEntry
from records.models.values import format_phone
from records.services.tasks import create_task
from records.timeline import add_entry

State = Call.State
CALLBACK_DUE = timedelta(hours=1)


@dataclass
class Outcome:
    call: Call
    applied: bool  # False: a resent or late event that changed nothing
    warning: str = ""  # e.g. an agent nobody here has


def handle_event(*, event: CallEvent) -> Outcome:
    """Apply one signed event to its call (created on its first event)."""
    with transaction.atomic():
        call, created = _locked_call(event)
        recording = call.recording_url
        _fill_in(call, event)
        step = _STEPS[event.event]
        applied = step(call, event, created)
        call.save()
        if not applied and call.state == State.ENDED and call.recording_url != recording:
            _relog(call)
    warning = ""
    if event.agent and call.agent_id is None:
        warning = f"Nobody here has the extension or email “{event.agent}”."
    return Outcome(call=call, applied=applied, warning=warning)


def _locked_call(event: CallEvent) -> tuple[Call, bool]:
    """The event's call, locked; created (caller and agent looked up) on its first event."""
    calls = Call.objects.select_for_update()
    key = {"provider": event.provider, "external_id": event.call_id}
    call = calls.filter(**key).first()
    if call is not None:
        return call, False
    return calls.get_or_create(**key, defaults=_new_call(event))  # a concurrent first event


def _new_call(event: CallEvent) -> dict:
    from_number = selectors.e164_or_raw(event.from_number)
    to_number = selectors.e164_or_raw(event.to_number)
    outside = from_number if event.direction == Call.Direction.INBOUND else to_number
    client, contact = selectors.caller(outside)
    return {
        "direction": event.direction,
        "from_number": from_number,
        "to_number": to_number,
        "agent": selectors.agent_for(event.agent),
        "client": client,
        "contact": contact,
        "started_at": event.timestamp,
    }


def _fill_in(call: Call, event: CallEvent) -> None:
    """What a later event knows that the first did not (an agent once answered, a
    recording once ended)."""
    if call.agent_id is None and event.agent:
        call.agent = selectors.agent_for(event.agent)
    if event.recording_url:
        call.recording_url = event.recording_url
    if event.duration is not None:
        call.duration_seconds = event.duration
    call.updated_at = max(call.updated_at, event.timestamp)


def _ring(call: Call, event: CallEvent, created: bool) -> bool:
    if created:
        events.publish(call, "call.ringing")
    return created


def _answer(call: Call, event: CallEvent, created: bool) -> bool:
    if call.state != State.RINGING:
        return False
    if event.agent:  # in a ring group, whoever picked up takes the call
        call.agent = selectors.agent_for(event.agent) or call.agent
    call.state, call.answered_at = State.ANSWERED, event.timestamp
    events.publish(call, "call.answered")
    return True


def _end(call: Call, event: CallEvent, created: bool) -> bool:
    if call.state in (State.ENDED, State.MISSED):
        return False
    if call.answered_at is None and not call.duration_seconds:
        return _miss(call, event, created)
    call.state, call.ended_at = State.ENDED, event.timestamp
    if call.duration_seconds is None:
        call.duration_seconds = max(0, int((call.ended_at - call.answered_at).total_seconds()))
    events.publish(call, "call.ended", entry=_log(call))
    return True


def _miss(call: Call, event: CallEvent, created: bool) -> bool:
    if call.state != State.RINGING:
        return False  # answered: only "ended" ends it
    call.state, call.ended_at = State.MISSED, event.timestamp
    person = call.agent or (call.client.owner if call.client_id else None)
    if person is not None and settings.TELEPHONY_CALLBACK_TASKS:
        call.callback_task = _callback_task(call, person)
    if person is not None:
        notify(
            recipient=person,
            kind="call-missed",
            text=f"Missed call from {who(call)}.",
            link=_link(call),
        )
    entry = _log(call)
    events.publish(
        call,
        "call.missed",
        person=person,
        entry=entry,
        notified=person.pk if person else None,
        task=call.callback_task_id,
    )
    return True


_STEPS = {"ringing": _ring, "answered": _answer, "ended": _end, "missed": _miss}


def who(call: Call) -> str:
    """The outside party as people read it: "Jo Acme (Acme GmbH)" or "+49 30 1234567"."""
    number = format_phone(call.caller_number) or "an unknown number"
    if call.contact_id:
        return f"{call.contact.name} ({call.client.name})"
    if call.client_id:
        return f"{call.client.name} ({number})"
    return number


def _link(call: Call) -> str:
    if call.client_id:
        return reverse("records:client_detail", args=[call.client_id])
    return reverse("telephony:calls")


def _log(call: Call):
    """The call on its client's timeline (nothing for an unknown number)."""
    if call.client_id is None:
        return None
    return add_entry(
        actor=call.agent,
        client_id=call.client_id,
        kind="call",
        summary=_summary(call),
        data={
            "call": call.pk,
            "direction": call.direction,
            "number": call.caller_number,
            "duration": call.duration_seconds,
            "recording": call.recording_url,
            "missed": call.state == State.MISSED,
        },
    )


def _relog(call: Call) -> None:
    """A recording link that came after the end (providers report it when the file is
    ready): onto the call's timeline entry, redrawn where shown."""
    entry = TimelineEntry.objects.filter(client_id=call.client_id, data__call=call.pk).first()
    if entry is None:
        return
    entry.data = {**entry.data, "recording": call.recording_url}
    entry.save(update_fields=["data"])
    records_events.publish(
        [client_topic(call.client_id)],
        "call.updated",
        {"id": call.pk, "timeline_changed": entry.pk},
    )


def _summary(call: Call) -> str:
    if call.state == State.MISSED:
        return f"Missed call from {who(call)}"
    agent = call.agent or "Someone"
    length = call_duration(call.duration_seconds)
    if call.direction == Call.Direction.OUTBOUND:
        return f"{agent} called {who(call)} · {length}"
    return f"{agent} took a call from {who(call)} · {length}"


def _callback_task(call: Call, person):
    """A task for ``person`` to call back soon, on the client's page where known."""
    return create_task(
        actor=person,
        assignee=person,
        title=f"Call back {who(call)}"[:200],
        description=f"Missed call at {call.started_at:%Y-%m-%d %H:%M} UTC from "
        f"{format_phone(call.caller_number) or 'an unknown number'}.",
        due_at=call.ended_at + CALLBACK_DUE,
        priority=Priority.HIGH,
        target=call.client,
    )
