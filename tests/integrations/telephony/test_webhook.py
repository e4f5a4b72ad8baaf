"""The signed webhook: who may post, what a bad body gets, and events out of order or twice."""

import time

import pytest

from integrations.telephony import signing
from integrations.telephony.models import Call
from records.models import TimelineEntry
from tests.integrations.telephony.conftest import JO_NUMBER, event

pytestmark = [pytest.mark.django_db]


def test_a_signed_event_is_applied(post, agent, jo):
    response = post(event("ringing"))
    assert response.status_code == 200
    call = Call.objects.get()
    assert response.json() == {"status": "applied", "call": call.pk, "state": "ringing"}
    assert (call.from_number, call.to_number) == (JO_NUMBER, "+49309999000")
    assert (call.agent, call.contact, call.client) == (agent, jo, jo.client)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("", "header is missing"),
        ("v1=abc", "header is missing"),
        ("t=12,v1=", "header is missing"),
        (None, "does not match"),  # signed with another secret
    ],
)
def test_a_bad_signature_is_401_with_the_reason(post, agent, header, reason):
    response = post(event("ringing"), secret="not-ours", header=header)
    assert response.status_code == 401
    assert reason in response.json()["error"]
    assert not Call.objects.exists()


def test_a_body_changed_after_signing_is_refused(post, client, agent):
    body = b'{"provider": "asterisk", "call_id": "1", "event": "ringing"}'
    header = signing.header_value(body, "test-telephony-secret")
    tampered = body.replace(b'"1"', b'"2"')
    response = post(tampered, header=header)
    assert response.status_code == 401


@pytest.mark.parametrize("age", [301, -301, 3600])
def test_a_stale_signature_is_refused(post, agent, age):
    response = post(event("ringing"), at=time.time() - age)
    assert response.status_code == 401
    assert "5 minutes" in response.json()["error"]


def test_a_replayed_request_changes_nothing(post, agent, jo):
    body = event("ended", duration=60)
    first, again = post(body), post(body)
    assert first.json()["status"] == "applied"
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert Call.objects.count() == 1
    assert TimelineEntry.objects.filter(kind="call").count() == 1


def test_no_secret_configured_refuses_everything(post, settings, agent):
    settings.TELEPHONY_WEBHOOK_SECRET = ""
    response = post(event("ringing"))
    assert response.status_code == 401
    assert "TELEPHONY_WEBHOOK_SECRET" in response.json()["error"]


def test_only_post(client):
    assert client.get("/integrations/calls/events/").status_code == 405


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (b"\xff\xfe", "not JSON"),
        ({"provider": "x", "call_id": "1"}, "“event” is missing"),
        ({"provider": "x", "call_id": "1", "event": "hung-up"}, "must be one of"),
        ({"call_id": "1", "event": "ringing"}, "“provider” is missing"),
        ({"provider": "x", "event": "ringing"}, "“call_id” is missing"),
        (event("ringing", direction="sideways"), "inbound or outbound"),
        (event("ended", duration=-3), "duration"),
        (event("ended", duration="long"), "duration"),
        (event("ended", recording_url="javascript:alert(1)"), "http(s) link"),
        (event("ringing", timestamp="yesterday"), "timestamp"),
        (event("ringing", agent=["201"]), "“agent” must be a string"),
    ],
)
def test_a_bad_body_is_400_with_the_reason(post, agent, body, reason):
    response = post(body)
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert not Call.objects.exists()


def test_an_unknown_agent_is_recorded_with_a_warning(post, jo):
    response = post(event("ringing", agent="999"))
    assert response.status_code == 200
    assert "“999”" in response.json()["warning"]
    call = Call.objects.get()
    assert call.agent is None and call.client == jo.client


def test_an_agent_by_email(post, member, jo):
    post(event("ringing", agent=member.email.upper()))
    assert Call.objects.get().agent == member


def test_answered_before_ringing_then_ringing_late(post, agent, jo):
    assert post(event("answered")).json()["state"] == "answered"
    late = post(event("ringing"))
    assert late.json() == {
        "status": "duplicate",
        "call": Call.objects.get().pk,
        "state": "answered",
    }


def test_ended_never_goes_back(post, agent, jo):
    post(event("ringing"))
    post(event("answered"))
    assert post(event("ended", duration=42)).json()["state"] == "ended"
    for kind in ("answered", "ringing", "missed"):
        assert post(event(kind)).json() == {
            "status": "duplicate",
            "call": Call.objects.get().pk,
            "state": "ended",
        }
    assert Call.objects.get().duration_seconds == 42


def test_ended_without_an_answer_is_missed(post, agent, jo):
    post(event("ringing"))
    assert post(event("ended")).json()["state"] == "missed"


def test_ended_first_with_a_duration_was_answered(post, agent, jo):
    assert post(event("ended", duration=30)).json()["state"] == "ended"


def test_missed_after_answered_waits_for_the_end(post, agent, jo):
    post(event("answered"))
    assert post(event("missed")).json()["status"] == "duplicate"
    assert post(event("ended")).json()["state"] == "ended"


def test_events_of_different_providers_are_different_calls(post, agent, jo):
    post(event("ringing"))
    post(event("ringing", provider="twilio"))
    assert Call.objects.count() == 2


def test_unix_and_iso_timestamps(post, agent, jo):
    post(event("ringing", timestamp=1_800_000_000))
    post(event("answered", timestamp="2027-01-15T08:00:30Z"))
    post(event("ended", timestamp="2027-01-15T08:03:42+00:00"))
    call = Call.objects.get()
    assert call.started_at.timestamp() == 1_800_000_000
    assert call.duration_seconds == 192  # from answered to ended


def test_a_resent_event_is_cheap(post, agent, jo, django_assert_max_num_queries):
    post(event("ringing"))
    with django_assert_max_num_queries(4):  # lock the call, save it (and the transaction)
        assert post(event("ringing")).json()["status"] == "duplicate"


def test_in_a_ring_group_whoever_answers_takes_the_call(post, agent, jo, sales_manager):
    sales_manager.phone_extension = "202"
    sales_manager.save(update_fields=["phone_extension"])
    post(event("ringing"))
    post(event("answered", agent="202"))
    post(event("ended", agent="201", duration=10))
    assert Call.objects.get().agent == sales_manager
    assert TimelineEntry.objects.get(kind="call").actor == sales_manager
