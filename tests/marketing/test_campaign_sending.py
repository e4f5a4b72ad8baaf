"""Sending a campaign through a real SMTP server: preparing (who is skipped and why),
batches (headers, merge fields, timeline, pacing, bounces, deleted contacts, a dead
worker's message), and the public ends of the email (unsubscribe, open pixel, clicks)."""

import re
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from marketing import tracking
from marketing.models import Campaign, Recipient, Suppression, Touch
from marketing.selectors.campaigns import campaign_stats
from marketing.services import campaigns as services
from marketing.tasks import prepare_campaign, send_batch
from records import services as records
from records.models import TimelineEntry
from tests.live_helpers import capture_events
from tests.mailserver import smtp_server
from tests.marketing.campaigning import consent, jobs, people, ready_campaign, run, static_segment

State, Skip = Recipient.State, Recipient.Skip


@pytest.fixture
def readers(member, acme):
    """Ann, Ben and Cleo have agreed to hear from us; Dan has not."""
    contacts = people(member, acme, ["Ann Lee", "Ben Ito", "Cleo Park", "Dan Ray"])
    consent(*(c.emails[0] for c in contacts[:3]))
    return contacts


def prepared(marketer, contacts, **fields) -> Campaign:
    """A campaign to ``contacts`` scheduled now and prepared (the prepare job run)."""
    campaign = ready_campaign(marketer, static_segment(contacts), **fields)
    services.schedule_campaign(actor=marketer, campaign=campaign)
    run(jobs(prepare_campaign)[-1])
    campaign.refresh_from_db()
    return campaign


def send_all(campaign, inbox=None) -> None:
    """Run the campaign's batch jobs until none is queued."""
    while queued := jobs(send_batch):
        run(queued[0])


def addresses(messages) -> list[str]:
    return sorted(message["To"] for message in messages)


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def link(html: str, kind: str) -> str:
    """The path of the first ``/m/<kind>/`` link of an email's HTML."""
    url = re.search(rf'"(http://[^"]+/marketing/m/{kind}/[^"]+)"', html)[1]
    return url.removeprefix("http://localhost:8000")


# --- Preparing ----------------------------------------------------------------------


def test_prepare_skips_and_counts_no_consent_suppressed_and_bounced(
    marketer, member, acme, readers
):
    twin = records.create_contact(
        actor=member, client=acme, name="Ann Again", emails=["ANN@people.example"]
    )
    Suppression.objects.create(email="ben@people.example", reason=Suppression.Reason.UNSUBSCRIBED)
    Suppression.objects.create(email="cleo@people.example", reason=Suppression.Reason.BOUNCED)
    campaign = prepared(marketer, [*readers, twin])
    stats = campaign_stats(campaign)
    assert campaign.status == Campaign.Status.SENDING and campaign.started_at
    assert (stats.recipients, stats.queued, stats.to_send) == (4, 1, 1)  # one row for Ann
    assert stats.skipped == {"no_consent": 1, "suppressed": 1, "bounced": 1, "deleted": 0}
    assert list(campaign.links.values_list("url", flat=True)) == ["https://news.example/read"]
    assert len(jobs(send_batch)) == 1


def test_prepare_takes_a_bounded_number_of_queries(
    marketer, member, acme, django_assert_max_num_queries
):
    contacts = people(member, acme, [f"Person{n} Test" for n in range(30)])
    consent(*(c.emails[0] for c in contacts))
    campaign = ready_campaign(marketer, static_segment(contacts))
    services.schedule_campaign(actor=marketer, campaign=campaign)
    with django_assert_max_num_queries(20):
        assert run(jobs(prepare_campaign)[-1]) == 30


# --- Sending ------------------------------------------------------------------------


def test_the_mail_that_arrives(marketer, readers, acme):
    campaign = prepared(marketer, readers[:2], subject="News for {{ contact.first_name }}")
    with smtp_server() as inbox:
        send_all(campaign)
        messages = inbox.wait_for(2)
    ann = campaign.recipients.get(email="ann@people.example")
    message = next(m for m in messages if m["To"] == ann.email)
    assert message["Subject"] == "News for Ann"
    assert message["From"] == "Workspace <workspace@localhost>"
    assert message["Message-ID"] == ann.message_id
    assert message["List-Unsubscribe"] == f"<{tracking.unsubscribe_url(ann)}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (
        "Hello Ann," in html_of(message)
        and "Hello Ann," in message.get_body(("plain",)).get_content()
    )
    assert link(html_of(message), "u") in message["List-Unsubscribe"]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT and campaign.finished_at
    stats = campaign_stats(campaign)
    assert (stats.sent, stats.queued, stats.done) == (2, 0, 2)
    entries = TimelineEntry.objects.filter(client=acme, kind=TimelineEntry.Kind.CAMPAIGN)
    assert sorted(e.summary for e in entries) == [
        "Emailed “News for Ann” to ann@people.example",
        "Emailed “News for Ben” to ben@people.example",
    ]
    assert entries[0].data["campaign"] == campaign.pk


def test_batches_are_paced_at_the_campaigns_rate(marketer, readers):
    prepared(marketer, readers[:3], send_rate=60)
    with override_settings(MARKETING_BATCH_SIZE=2), smtp_server() as inbox:
        before = timezone.now()
        assert run(jobs(send_batch)[0]) == 2
        [following] = jobs(send_batch)
        # two messages at 60 a minute: the next batch no sooner than 2 s after this one began
        assert (
            before + timedelta(seconds=2)
            <= following.run_after
            <= timezone.now() + timedelta(seconds=2)
        )
        assert run(following) == 1
        inbox.wait_for(3)
    assert not jobs(send_batch)


def test_one_chain_of_batches_per_campaign(marketer, readers):
    campaign = prepared(marketer, readers[:3])
    send_batch.enqueue(campaign.pk)  # a successor, as a batch rerun after its worker died finds
    with override_settings(MARKETING_BATCH_SIZE=1), smtp_server():
        run(jobs(send_batch)[0])
    assert len(jobs(send_batch)) == 1  # that one, and no other


def test_a_slow_rate_sends_small_batches(marketer, readers):
    campaign = prepared(marketer, readers[:3], send_rate=1)
    with smtp_server() as inbox:
        assert run(jobs(send_batch)[0]) == 1
        inbox.wait_for(1)
    assert jobs(send_batch)[0].run_after >= campaign.started_at + timedelta(seconds=59)


def test_each_batch_publishes_the_figures_and_each_send_the_clients_timeline(marketer, readers):
    campaign = prepared(marketer, readers[:2])
    with smtp_server(), capture_events(3) as events:
        run(jobs(send_batch)[0])
    sends, figures = events[:2], events[2]
    assert {(event.topic, event.kind) for event in sends} == {
        (f"client.{readers[0].client_id}", "campaign.sent")
    }
    assert all("Emailed “" in event.html and "Open campaign" in event.html for event in sends)
    assert (figures.topic, figures.kind) == (f"campaign.{campaign.pk}", "campaign.progress")
    root = re.search(r"<section ([^>]*)>", figures.html)[1]
    assert f'id="campaign-{campaign.pk}-stats"' in root and 'hx-swap-oob="true"' in root
    assert figures.payload["status"] == "sent"


def test_a_refused_address_bounces_and_is_suppressed(marketer, readers):
    campaign = prepared(marketer, readers[:2])
    with smtp_server(reject={"ben@people.example"}) as inbox:
        send_all(campaign)
        assert addresses(inbox.wait_for(1)) == ["ann@people.example"]
    ben = campaign.recipients.get(email="ben@people.example")
    assert ben.state == State.FAILED and ben.bounced_at and ben.error.startswith("550")
    assert Suppression.objects.get(email=ben.email).reason == Suppression.Reason.BOUNCED
    assert campaign_stats(campaign).bounced == 1
    again = prepared(marketer, readers[:2])
    assert campaign_stats(again).skipped["bounced"] == 1


def test_a_contact_deleted_mid_send_is_skipped(marketer, member, readers):
    campaign = prepared(marketer, readers[:3])
    records.delete_contact(actor=member, contact=readers[1])
    with smtp_server() as inbox:
        send_all(campaign)
        assert addresses(inbox.wait_for(2)) == ["ann@people.example", "cleo@people.example"]
    ben = campaign.recipients.get(email="ben@people.example")
    assert (ben.state, ben.skip_reason) == (State.SKIPPED, Skip.DELETED)


def test_an_address_unsubscribed_elsewhere_meanwhile_is_skipped(marketer, readers):
    campaign = prepared(marketer, readers[:2])
    Suppression.objects.create(email="ben@people.example", reason=Suppression.Reason.COMPLAINED)
    with smtp_server() as inbox:
        send_all(campaign)
        assert addresses(inbox.wait_for(1)) == ["ann@people.example"]
    assert campaign_stats(campaign).skipped["suppressed"] == 1


def test_a_message_a_dead_worker_held_is_unconfirmed_never_resent(marketer, readers):
    campaign = prepared(marketer, readers[:2])
    held = campaign.recipients.get(email="ann@people.example")
    long_ago = timezone.now() - timedelta(minutes=5)  # older than a job lease
    Recipient.objects.filter(pk=held.pk).update(state=State.SENDING, claimed_at=long_ago)
    with smtp_server() as inbox:
        send_all(campaign)
        assert addresses(inbox.wait_for(1)) == ["ben@people.example"]
    held.refresh_from_db()
    assert held.state == State.UNCONFIRMED
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT


def test_a_message_in_flight_elsewhere_is_waited_for_not_taken(marketer, readers):
    campaign = prepared(marketer, readers[:1])
    Recipient.objects.filter(campaign=campaign).update(
        state=State.SENDING, claimed_at=timezone.now()
    )
    with smtp_server() as inbox:
        run(jobs(send_batch)[0])
        assert inbox.messages == []
    [check] = jobs(send_batch)  # comes back once a worker holding it would count as dead
    assert check.run_after > timezone.now() + timedelta(seconds=30)
    assert Recipient.objects.get(campaign=campaign).state == State.SENDING


def test_a_cancelled_campaign_stops_and_its_queue_stays_unsent(marketer, readers):
    campaign = prepared(marketer, readers[:2])
    services.cancel_campaign(actor=marketer, campaign=campaign)
    with smtp_server() as inbox:
        send_all(campaign)
        assert inbox.messages == []
    assert campaign_stats(campaign).queued == 2


def test_an_unreachable_mail_server_pauses_the_campaign(marketer, readers):
    campaign = prepared(marketer, readers[:1])
    closed = {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
    }
    with override_settings(MAILERS={"default": closed}):
        assert run(jobs(send_batch)[0]) == 0
    [retry] = jobs(send_batch)
    assert retry.run_after > timezone.now() + timedelta(seconds=30)
    assert campaign_stats(campaign).queued == 1


def test_campaign_stats_take_one_query(marketer, readers, django_assert_num_queries):
    campaign = prepared(marketer, readers)
    with django_assert_num_queries(1):
        stats = campaign_stats(campaign)
    assert stats.skipped_rows()[0] == ("No consent", 1)


# --- Unsubscribe, opens, clicks ------------------------------------------------------


@pytest.fixture
def delivered(marketer, readers):
    """A campaign sent to Ann and Ben, and the emails they got (by address)."""
    campaign = prepared(
        marketer,
        readers[:2],
        body="See [the news](https://news.example/read) and [more](https://news.example/more).",
    )
    with smtp_server() as inbox:
        send_all(campaign)
        messages = inbox.wait_for(2)
    return campaign, {message["To"]: html_of(message) for message in messages}


def test_the_footer_link_unsubscribes_and_the_next_campaign_skips_the_address(
    client, marketer, readers, delivered
):
    campaign, mails = delivered
    url = link(mails["ann@people.example"], "u")
    page = client.get(url)
    assert page.status_code == 200 and b"Unsubscribe</button>" in page.content
    assert not Suppression.objects.exists()  # a GET (a link scanner) changes nothing
    with capture_events() as events:
        done = client.post(url)
    assert b"You are unsubscribed" in done.content
    assert (
        Suppression.objects.get(email="ann@people.example").reason
        == Suppression.Reason.UNSUBSCRIBED
    )
    assert [e.kind for e in events] == ["campaign.unsubscribed", "campaign.progress"]
    assert campaign_stats(campaign).unsubscribed == 1
    with capture_events(0):
        replay = client.post(url)
    assert b"Already unsubscribed" in replay.content
    assert Suppression.objects.count() == 1
    again = prepared(marketer, readers[:2])
    assert campaign_stats(again).skipped["suppressed"] == 1
    assert again.recipients.get(email="ann@people.example").state == State.SKIPPED


def test_one_click_unsubscribe_from_the_header(client, delivered):
    campaign, _mails = delivered
    ben = campaign.recipients.get(email="ben@people.example")
    path = tracking.unsubscribe_url(ben).removeprefix("http://localhost:8000")
    response = client.post(path, {"List-Unsubscribe": "One-Click"})  # no CSRF token
    assert response.status_code == 200
    assert Suppression.objects.filter(email="ben@people.example").exists()


def test_a_click_records_once_and_redirects_only_to_the_campaigns_link(client, delivered, acme):
    campaign, mails = delivered
    url = link(mails["ann@people.example"], "c")
    with capture_events() as events:
        response = client.get(url)
    assert response.status_code == 302 and response["Location"] == "https://news.example/read"
    assert [e.kind for e in events] == ["campaign.opened", "campaign.clicked", "campaign.progress"]
    ann = campaign.recipients.get(email="ann@people.example")
    assert ann.clicked_at and ann.opened_at
    touch = Touch.objects.get(campaign=campaign)
    assert (touch.channel, touch.contact_id) == ("campaign", ann.contact_id)
    with capture_events(0):
        assert client.get(url)["Location"] == "https://news.example/read"
    assert Touch.objects.filter(campaign=campaign).count() == 1
    assert (
        TimelineEntry.objects.filter(
            client=acme, summary__contains="clicked https://news.example/read"
        ).count()
        == 1
    )


def test_forged_tampered_and_cross_campaign_tokens_are_404(client, marketer, readers, delivered):
    campaign, mails = delivered
    url = link(mails["ann@people.example"], "c")
    token = url.split("/")[-2]
    ann = campaign.recipients.get(email="ann@people.example")
    other = prepared(marketer, readers[:1], body="[Elsewhere](https://elsewhere.example/)")
    foreign_link = other.links.get()
    bad = [
        url.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB")),  # signature
        url.replace(
            token,
            tracking.base62(ann.pk)
            + "."
            + tracking.base62(foreign_link.pk)
            + token[token.index(":") :],
        ),
        tracking.click_url(ann, foreign_link.pk).removeprefix(
            "http://localhost:8000"
        ),  # signed, other campaign's link
        tracking.unsubscribe_url(ann)
        .replace("/m/u/", "/m/c/")
        .removeprefix("http://localhost:8000"),  # another purpose
        "/marketing/m/c/not-a-token/",
        "/marketing/m/o/zz:zz.gif",
        "/marketing/m/u/%00/",
    ]
    for path in bad:
        assert client.get(path).status_code == 404, path
    for path in (bad[3].replace("/m/c/", "/m/u/")[:-3] + "xx/", "/marketing/m/u/1:abc/"):
        assert client.post(path).status_code == 404, path
    ann.refresh_from_db()
    assert (ann.clicked_at, ann.opened_at, ann.unsubscribed_at) == (None, None, None)
    assert not Touch.objects.filter(channel="campaign").exists()
    assert not Suppression.objects.exists()


def test_the_open_pixel_records_the_first_open(client, delivered):
    campaign, mails = delivered
    pixel = re.search(
        r'src="http://localhost:8000(/marketing/m/o/[^"]+)"', mails["ben@people.example"]
    )[1]
    response = client.get(pixel)
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    assert "no-store" in response["Cache-Control"]
    with capture_events(0):
        client.get(pixel)
    assert campaign_stats(campaign).opened == 1
