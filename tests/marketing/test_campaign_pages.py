"""The campaign pages: the marketing home, the list, the editor (check as you type, preview,
test, send now, schedule, cancel) and the results page; who may do what; query counts."""

import re
import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketing.models import Campaign, Recipient
from marketing.services import campaigns as services
from marketing.tasks import prepare_campaign, send_test_email
from records import services as records
from tests.marketing.campaigning import BODY, consent, jobs, people, ready_campaign, static_segment
from tests.records.queries import count_queries

pytestmark = pytest.mark.django_db

State = Recipient.State
Status = Campaign.Status
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def readers(member, acme):
    contacts = people(member, acme, ["Ada Lovelace", "Bob Builder", "Cy Young"])
    consent(*(contact.emails[0] for contact in contacts))
    return contacts


@pytest.fixture
def segment(readers):
    return static_segment(readers)


@pytest.fixture
def draft(marketer, segment):
    return ready_campaign(marketer, segment)


@pytest.fixture
def signed_in(client, marketer):
    client.force_login(marketer)
    return client


def typed(segment=None, **fields) -> dict:
    """What the editor posts: a complete campaign, with ``fields`` changed."""
    values = {
        "name": "Winter offer",
        "subject": "Hello {{ contact.first_name }}",
        "preheader": "",
        "layout": "newsletter",
        "segment": segment.pk if segment else "",
        "body": BODY,
        "cost": "250",
        "currency": "EUR",
        "utm_campaign": "winter-offer",
        "send_at": "",
        "action": "save",
    }
    return values | fields


def edit_url(campaign) -> str:
    return reverse("marketing:campaign_edit", args=[campaign.pk])


def detail_url(campaign) -> str:
    return reverse("marketing:campaign_detail", args=[campaign.pk])


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- The editor: saving, checking, previewing ------------------------------------------------


def test_a_marketer_writes_a_draft(signed_in, segment):
    response = signed_in.post(reverse("marketing:campaign_new"), typed(segment))
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response.url == edit_url(campaign)
    assert (campaign.status, campaign.layout, campaign.segment) == ("draft", "newsletter", segment)
    assert campaign.utm_campaign == "winter-offer" and str(campaign.cost) == "250.00"
    page = signed_in.get(edit_url(campaign)).content.decode()
    assert "3 contacts at 1 client" in page  # the segment's live count
    assert "Merge fields check out." in page
    assert reverse("marketing:campaign_preview", args=[campaign.pk]) in page


def test_an_unknown_merge_field_is_listed_by_the_body_and_nothing_is_sent(signed_in, segment):
    body = "Dear {{ contact.nickname }},\n\nNews."
    response = signed_in.post(
        reverse("marketing:campaign_new"), typed(segment, body=body, action="send"), follow=True
    )
    page = response.content.decode()
    assert "Saved, but not sent" in page
    assert "1 problem to fix before this can be sent" in page
    assert "Body, line 1: “contact.nickname” is not a merge field." in page
    assert "Dear {{ contact.nickname }}," in page  # what was typed is kept, as a draft
    assert Campaign.objects.get().status == Campaign.Status.DRAFT
    assert not Recipient.objects.exists()
    assert jobs(prepare_campaign) == []


def test_the_checker_answers_as_you_type(signed_in):
    url = reverse("marketing:campaign_check")
    headers = {"HX-Request": "true"}
    bad = signed_in.post(
        url, {"subject": "Hi {{ contact.age }}", "body": "{% if x %}"}, headers=headers
    )
    assert bad.status_code == 200
    text = bad.content.decode()
    assert 'data-problem-count="2"' in text
    assert "Subject: “contact.age” is not a merge field." in text
    assert "is not allowed" in text
    good = signed_in.post(url, {"subject": "Hi", "body": BODY}, headers=headers)
    assert 'data-problem-count="0"' in good.content.decode()


def test_form_errors_keep_what_was_typed(signed_in, segment):
    response = signed_in.post(
        reverse("marketing:campaign_new"), typed(segment, name="", cost="lots", subject="Typed!")
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Give the campaign a name your team will recognise." in page
    assert "Enter the cost as a number" in page
    assert 'value="Typed!"' in page
    assert not Campaign.objects.exists()


def test_the_preview_is_the_email_alone_in_a_sandbox(signed_in, draft, readers):
    url = reverse("marketing:campaign_preview", args=[draft.pk])
    response = signed_in.get(url)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy and "script-src" not in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "Hello Ada," in response.content.decode()  # the segment's first contact

    as_typed = signed_in.post(
        url,
        typed(draft.segment, body="Welcome, <script>alert(1)</script>{{ client.name }}"),
    )
    html = as_typed.content.decode()
    assert "Acme GmbH" in html and "<script>" not in html
    draft.refresh_from_db()
    assert draft.body == BODY  # a preview saves nothing


def test_the_preview_of_a_broken_body_says_what_to_fix(signed_in):
    response = signed_in.post(
        reverse("marketing:campaign_preview_new"), typed(body="{{ contact.nickname }}")
    )
    assert "1 problem to fix: see the list under the message." in response.content.decode()
    assert "sandbox" in response["Content-Security-Policy"]


def test_the_segment_count_follows_the_choice(signed_in, segment):
    url = reverse("marketing:campaign_segment_count")
    assert "3 contacts at 1 client" in signed_in.get(url, {"segment": segment.pk}).content.decode()
    assert "Pick who receives it." in signed_in.get(url, {"segment": "nope"}).content.decode()


# --- Test, send now, schedule, cancel ---------------------------------------------------------


def test_send_me_a_test(signed_in, marketer, draft):
    response = signed_in.post(edit_url(draft), typed(draft.segment, action="test"), follow=True)
    assert f"Test sent to {marketer.email}." in page_messages(response)[0]
    [job] = jobs(send_test_email)
    assert job.args_kwargs["args"] == [draft.pk, marketer.pk]


def test_send_now_saves_then_starts_sending(signed_in, draft):
    response = signed_in.post(edit_url(draft), typed(draft.segment, subject="Now!", action="send"))
    assert response.status_code == 302 and response.url == detail_url(draft)
    draft.refresh_from_db()
    assert draft.subject == "Now!" and draft.status == Status.SCHEDULED
    assert draft.scheduled_for <= timezone.now()
    assert len(jobs(prepare_campaign)) == 1


def test_schedule_reads_the_time_in_the_marketers_zone_then_cancel(signed_in, marketer, draft):
    marketer.timezone = "Europe/Berlin"
    marketer.save(update_fields=["timezone"])
    local = (
        (timezone.now() + timedelta(days=2))
        .astimezone(BERLIN)
        .replace(hour=9, minute=0, second=0, microsecond=0)
    )
    send_at = local.strftime("%Y-%m-%dT%H:%M")
    response = signed_in.post(
        edit_url(draft), typed(draft.segment, send_at=send_at, action="schedule"), follow=True
    )
    assert "(Europe/Berlin)" in page_messages(response)[0]
    draft.refresh_from_db()
    assert draft.status == Status.SCHEDULED
    assert draft.scheduled_for == datetime(local.year, local.month, local.day, 9, tzinfo=BERLIN)
    page = signed_in.get(edit_url(draft)).content.decode()
    assert f'value="{send_at}"' in page and "Scheduled for" in page

    cancelled = signed_in.post(reverse("marketing:campaign_cancel", args=[draft.pk]), follow=True)
    assert "is cancelled" in page_messages(cancelled)[0]
    draft.refresh_from_db()
    assert draft.status == Status.CANCELLED


def test_a_time_in_the_past_is_refused_and_nothing_is_scheduled(signed_in, draft):
    response = signed_in.post(
        edit_url(draft), typed(draft.segment, send_at="2020-01-01T09:00", action="schedule")
    )
    assert response.status_code == 422
    assert "That time has passed" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and jobs(prepare_campaign) == []


def test_a_send_the_service_refuses_leaves_the_draft_saved_and_says_why(signed_in, draft):
    response = signed_in.post(edit_url(draft), typed(None, action="send"), follow=True)
    assert "Saved, but not sent: Pick the segment to send the campaign to." in page_messages(
        response
    )
    draft.refresh_from_db()
    assert draft.segment is None and draft.status == Status.DRAFT


def test_cancelling_a_draft_is_refused_with_the_reason(signed_in, draft):
    response = signed_in.post(reverse("marketing:campaign_cancel", args=[draft.pk]), follow=True)
    assert "Only a scheduled or sending campaign can be cancelled" in page_messages(response)[0]


# --- Read-only: while sending, once sent, and for everyone outside marketing -----------------


def test_the_editor_is_read_only_while_sending_and_a_post_is_refused(signed_in, draft):
    Campaign.objects.filter(pk=draft.pk).update(status=Status.SENDING)
    page = signed_in.get(edit_url(draft)).content.decode()
    assert "This campaign is sending, so its email can no longer change." in page
    assert 'name="action"' not in page and "disabled" in page

    response = signed_in.post(edit_url(draft), typed(draft.segment, subject="Changed"))
    assert response.status_code == 409
    assert "Nothing was changed." in response.content.decode()
    draft.refresh_from_db()
    assert draft.subject == "December news"


def test_the_cost_can_be_set_after_sending(signed_in, draft):
    Campaign.objects.filter(pk=draft.pk).update(status=Status.SENT)
    url = reverse("marketing:campaign_cost", args=[draft.pk])
    signed_in.post(url, {"cost": "1200.50", "currency": "USD"})
    draft.refresh_from_db()
    assert (str(draft.cost), draft.currency) == ("1200.50", "USD")
    refused = signed_in.post(url, {"cost": "-3", "currency": "USD"}, follow=True)
    assert "A cost cannot be negative." in page_messages(refused)
    draft.refresh_from_db()
    assert str(draft.cost) == "1200.50"


def test_sales_sees_campaigns_but_changes_nothing(client, member, draft):
    client.force_login(member)
    assert client.get(reverse("marketing:home")).status_code == 200
    assert client.get(reverse("marketing:campaign_list")).status_code == 200
    detail = client.get(detail_url(draft)).content.decode()
    assert reverse("marketing:campaign_cost", args=[draft.pk]) not in detail
    editor = client.get(edit_url(draft)).content.decode()
    assert "Only the marketing department and admins can change campaigns." in editor
    assert 'name="action"' not in editor

    writes = [
        (reverse("marketing:campaign_new"), typed(draft.segment)),
        (edit_url(draft), typed(draft.segment, subject="Mine now", action="send")),
        (reverse("marketing:campaign_cancel", args=[draft.pk]), {}),
        (reverse("marketing:campaign_cost", args=[draft.pk]), {"cost": "1", "currency": "EUR"}),
    ]
    for url, data in writes:
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert b"Only the marketing department and admins" in response.content
    assert client.get(reverse("marketing:campaign_new")).status_code == 403
    draft.refresh_from_db()
    assert (draft.subject, draft.status, Campaign.objects.count()) == ("December news", "draft", 1)


# --- Results ------------------------------------------------------------------------------------


def sent_campaign(actor, segment, contacts, **fields) -> Campaign:
    """A campaign that went out to ``contacts``: one sent, opened and clicked, the rest sent
    (the last one skipped), as the sending jobs leave their rows."""
    campaign = ready_campaign(actor, segment, **fields)
    now = timezone.now()
    rows = [
        Recipient(
            campaign=campaign,
            contact=c,
            client_id=c.client_id,
            email=c.emails[0],
            state=State.SENT,
            sent_at=now,
        )
        for c in contacts
    ]
    rows[0].opened_at = rows[0].clicked_at = now
    rows[-1].state, rows[-1].skip_reason, rows[-1].sent_at = State.SKIPPED, "no_consent", None
    Recipient.objects.bulk_create(rows)
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Status.SENT, started_at=now, finished_at=now
    )
    return campaign


def test_results_show_recipients_filtered_by_state(signed_in, marketer, segment, readers):
    campaign = sent_campaign(marketer, segment, readers)
    page = signed_in.get(detail_url(campaign)).content.decode()
    assert f'data-live-topic="campaign.{campaign.pk}"' in page
    assert f'id="campaign-{campaign.pk}-stats"' in page
    assert 'data-live-drawn="' in page  # an older event replayed cannot redraw older figures
    assert "ada@people.example" in page and "Skipped: no consent" in page
    assert "What it brought in" in page

    opened = signed_in.get(
        detail_url(campaign),
        {"state": "opened"},
        headers={"HX-Request": "true", "HX-Target": "campaign-recipients"},
    ).content.decode()
    assert opened.lstrip().startswith(
        '<section class="card campaign-card" id="campaign-recipients"'
    )
    assert "ada@people.example" in opened and "bob@people.example" not in opened


def test_query_counts_do_not_grow_with_campaigns_or_recipients(signed_in, marketer, member, acme):
    def add_campaigns(count, recipients_each):
        crowd = people(
            member, acme, [f"P{len(Campaign.objects.all())}x{i} Q" for i in range(recipients_each)]
        )
        segment = static_segment(crowd, name=f"S{Campaign.objects.count()}")
        made = []
        for _ in range(count):
            made.append(sent_campaign(marketer, segment, crowd))
            services.create_campaign(actor=marketer, name="Draft", segment=segment)
        return made

    first = add_campaigns(2, 3)[0]
    # Each page's budget: session and viewer, the shell's own (live id, bell, policy), its reads.
    budgets = {
        reverse("marketing:home"): 16,
        reverse("marketing:campaign_list"): 10,
        reverse("marketing:campaign_list") + "?status=sent": 10,
        detail_url(first): 13,
        detail_url(first) + "?state=sent&page=2": 13,
    }
    few = {url: count_queries(signed_in, url) for url in budgets}
    add_campaigns(5, 12)
    Recipient.objects.bulk_create(
        Recipient(campaign=first, email=f"extra{i}@people.example", state=State.SENT)
        for i in range(60)
    )
    many = {url: count_queries(signed_in, url) for url in budgets}
    assert many == few
    assert all(many[url] <= budget for url, budget in budgets.items()), many


def test_the_home_shows_what_needs_a_hand(signed_in, marketer, segment, readers, draft):
    sent_campaign(marketer, segment, readers, subject="Sent news")
    later = ready_campaign(marketer, segment, subject="Later news")
    services.schedule_campaign(
        actor=marketer, campaign=later, when=timezone.now() + timedelta(days=1)
    )
    going = ready_campaign(marketer, segment, subject="Going out")
    Campaign.objects.filter(pk=going.pk).update(status=Status.SENDING)
    page = signed_in.get(reverse("marketing:home")).content.decode()
    assert "Sent news" in page and "Later news" in page and "December news" in page
    assert f'data-live-topic="campaign.{going.pk}"' in page  # its progress follows live
    assert "50.0%" in page  # the sent campaign: 1 of 2 sent opened it
    assert "Recently sent" in page and "Drafts" in page and "Scheduled" in page


def test_the_list_filters_by_status(signed_in, marketer, segment, readers, draft):
    sent_campaign(marketer, segment, readers, subject="Went out")
    page = signed_in.get(reverse("marketing:campaign_list"), {"status": "draft"}).content.decode()
    assert "December news" in page and "Went out" not in page
    unknown = signed_in.get(
        reverse("marketing:campaign_list"), {"status": "bogus"}
    ).content.decode()
    assert "Went out" in unknown  # an unknown status lists all


def test_a_deleted_contact_keeps_its_row(signed_in, marketer, member, segment, readers):
    campaign = sent_campaign(marketer, segment, readers)
    records.delete_contact(actor=member, contact=readers[0])
    page = signed_in.get(detail_url(campaign)).content.decode()
    assert "ada@people.example" in page


def test_pages_need_a_sign_in_and_carry_no_inline_script_or_style(client, marketer, draft):
    urls = [
        reverse("marketing:home"),
        reverse("marketing:campaign_list"),
        reverse("marketing:campaign_new"),
        edit_url(draft),
        detail_url(draft),
        reverse("marketing:campaign_preview", args=[draft.pk]),
    ]
    for url in urls:
        assert client.get(url)["Location"].startswith(reverse("account_login")), url
    client.force_login(marketer)
    for url in urls[:-1]:
        html = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert not re.search(r"\sstyle=", html), url


def test_duplicate_opens_the_copy_in_the_editor_and_is_refused_to_sales(
    signed_in, client, draft, member
):
    url = reverse("marketing:campaign_duplicate", args=[draft.pk])

    response = signed_in.post(url)

    copy = Campaign.objects.exclude(pk=draft.pk).get()
    assert response.url == edit_url(copy)
    client.force_login(member)
    assert client.post(url).status_code == 403
    assert Campaign.objects.count() == 2
