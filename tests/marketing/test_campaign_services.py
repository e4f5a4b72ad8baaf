"""Campaign services: who may compose, what is refused and why, scheduling, cancelling,
test sends, and the live events they publish."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from marketing.models import Campaign, Segment
from marketing.services import campaigns as services
from marketing.tasks import prepare_campaign, send_test_email
from tests.live_helpers import capture_events
from tests.mailserver import smtp_server
from tests.marketing.campaigning import consent, jobs, people, ready_campaign, run, static_segment


def reason(excinfo) -> str:
    return " ".join(excinfo.value.messages)


@pytest.fixture
def readers(member, acme):
    contacts = people(member, acme, ["Ann Lee", "Ben Ito"])
    consent(*(c.emails[0] for c in contacts))
    return contacts


@pytest.fixture
def segment(readers):
    return static_segment(readers)


def test_only_marketing_and_admins_compose(member, admin, marketer):
    with pytest.raises(PermissionDenied):
        services.create_campaign(actor=member, name="Nope")
    assert services.create_campaign(actor=admin, name="Admin's").created_by == admin
    assert services.create_campaign(actor=marketer, name="Mine").status == Campaign.Status.DRAFT


def test_a_draft_keeps_unknown_merge_fields_until_it_is_sent(marketer, segment):
    draft = services.create_campaign(
        actor=marketer,
        name="Bad",
        subject="Hi {{ contact.nick }}",
        body="{% load x %}",
        segment=segment,
    )

    with pytest.raises(ValidationError) as refused:
        services.schedule_campaign(actor=marketer, campaign=draft)
    assert "“contact.nick” is not a merge field" in refused.value.message_dict["subject"][0]
    assert "“{% load x %}” is not allowed" in refused.value.message_dict["body"][0]
    with pytest.raises(ValidationError, match="not a merge field"):
        services.send_test(actor=marketer, campaign=draft)
    draft.refresh_from_db()
    assert draft.status == Campaign.Status.DRAFT
    assert not jobs(prepare_campaign)


def test_a_scheduled_campaign_refuses_a_merge_field_mistake(marketer, segment):
    campaign = ready_campaign(marketer, segment)
    services.schedule_campaign(
        actor=marketer, campaign=campaign, when=timezone.now() + timedelta(hours=2)
    )

    with pytest.raises(ValidationError, match="not a merge field"):
        services.update_campaign(actor=marketer, campaign=campaign, body="Hi {{ contact.age }}")
    campaign.refresh_from_db()
    assert "contact.age" not in campaign.body


def test_bad_fields_are_refused_with_a_reason(marketer):
    with pytest.raises(ValidationError, match="at least one email a minute"):
        services.create_campaign(actor=marketer, name="Slow", send_rate=0)
    with pytest.raises(ValidationError, match="Unknown campaign fields: status"):
        services.create_campaign(actor=marketer, name="Sneaky", status="sent")


def test_a_sending_campaign_refuses_edits_with_the_reason_but_takes_its_cost(marketer, segment):
    campaign = ready_campaign(marketer, segment)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.SENDING)
    with pytest.raises(ValidationError) as refused:
        services.update_campaign(actor=marketer, campaign=campaign, body="Changed")
    assert "This campaign is sending, so its content can no longer change" in reason(refused)
    updated = services.update_campaign(actor=marketer, campaign=campaign, cost=120, currency="USD")
    assert (updated.cost, updated.currency, updated.body) == (120, "USD", campaign.body)


def test_update_publishes_the_figures_on_the_campaign_topic(marketer, segment):
    campaign = ready_campaign(marketer, segment)
    with capture_events(1) as events:
        services.update_campaign(actor=marketer, campaign=campaign, subject="New subject")
    assert (events[0].topic, events[0].kind) == (f"campaign.{campaign.pk}", "campaign.updated")
    assert events[0].payload["fields"] == ["subject"]
    assert f'id="campaign-{campaign.pk}-stats"' in events[0].html


def test_scheduling_needs_a_subject_a_body_and_a_segment_that_matches_someone(marketer, segment):
    draft = services.create_campaign(actor=marketer, name="Empty")
    with pytest.raises(ValidationError, match="Write a subject and a body first"):
        services.schedule_campaign(actor=marketer, campaign=draft)
    no_segment = ready_campaign(marketer, None)
    with pytest.raises(ValidationError, match="Pick the segment"):
        services.schedule_campaign(actor=marketer, campaign=no_segment)
    empty = Segment.objects.create(name="Nobody", kind=Segment.Kind.STATIC)
    nobody = ready_campaign(marketer, empty)
    with pytest.raises(ValidationError, match="The segment “Nobody” matches nobody"):
        services.schedule_campaign(actor=marketer, campaign=nobody)
    broken = ready_campaign(marketer, segment)
    Campaign.objects.filter(pk=broken.pk).update(body="Hi {{ contact.age }}")  # old content
    broken.refresh_from_db()
    with pytest.raises(ValidationError, match=r"“contact\.age” is not a merge field"):
        services.schedule_campaign(actor=marketer, campaign=broken)
    assert not jobs(prepare_campaign)


def test_schedule_queues_the_prepare_job_at_the_moment(marketer, segment, member):
    campaign = ready_campaign(marketer, segment)
    when = timezone.now() + timedelta(hours=3)
    with pytest.raises(PermissionDenied):
        services.schedule_campaign(actor=member, campaign=campaign, when=when)
    with capture_events(1) as events:
        services.schedule_campaign(actor=marketer, campaign=campaign, when=when)
    assert events[0].kind == "campaign.scheduled"
    [job] = jobs(prepare_campaign)
    assert job.run_after == when
    campaign.refresh_from_db()
    assert (campaign.status, campaign.scheduled_for) == (Campaign.Status.SCHEDULED, when)


def test_a_moved_or_cancelled_schedule_leaves_the_old_job_idle(marketer, segment):
    campaign = ready_campaign(marketer, segment)
    services.schedule_campaign(actor=marketer, campaign=campaign, when=timezone.now())
    later = timezone.now() + timedelta(days=1)
    services.schedule_campaign(actor=marketer, campaign=campaign, when=later)
    first, second = jobs(prepare_campaign)
    assert run(first) == 0  # moved: the first job finds another moment
    services.cancel_campaign(actor=marketer, campaign=campaign)
    assert run(second) == 0  # cancelled
    assert not campaign.recipients.exists()


def test_cancel_refuses_a_draft_or_a_sent_campaign(marketer, segment):
    campaign = ready_campaign(marketer, segment)
    with pytest.raises(ValidationError, match="Only a scheduled or sending campaign"):
        services.cancel_campaign(actor=marketer, campaign=campaign)


def test_a_test_send_goes_to_the_actor_only_with_plain_links(marketer, segment):
    campaign = ready_campaign(marketer, segment)
    services.send_test(actor=marketer, campaign=campaign)
    [job] = jobs(send_test_email)
    with smtp_server() as inbox:
        run(job)
        [message] = inbox.wait_for(1)
    assert message["To"] == marketer.email
    assert message["Subject"] == "[Test] December news"
    html = message.get_body(("html",)).get_content()
    assert "Hello Alex," in html and 'href="https://news.example/read"' in html
    assert "/m/u/" not in html and "/m/o/" not in html
    assert not campaign.recipients.exists()


def test_a_sent_campaign_is_sent_again_changed_through_a_duplicate(marketer, member, segment):
    sent = ready_campaign(marketer, segment)
    Campaign.objects.filter(pk=sent.pk).update(status=Campaign.Status.SENT, cost=300)
    sent.refresh_from_db()

    with pytest.raises(PermissionDenied):
        services.duplicate_campaign(actor=member, campaign=sent)
    copy = services.duplicate_campaign(actor=marketer, campaign=sent)

    assert (copy.name, copy.status, copy.cost) == (f"{sent.name} (copy)", "draft", 0)
    assert (copy.subject, copy.body, copy.segment) == (sent.subject, sent.body, segment)
    services.update_campaign(actor=marketer, campaign=copy, body="Changed")
