"""Weekly digests: the schedule in the subscriber's time zone, the job re-checking its
subscription, and the email itself, delivered to a real SMTP server."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from records import services as records
from reports import digests, services
from reports.models import ReportSubscription
from tests.factories import DepartmentFactory
from tests.mailserver import smtp_server

pytestmark = pytest.mark.django_db(transaction=True)
BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")
MONDAY = 0


def digest_jobs() -> list[DBTaskResult]:
    return list(
        DBTaskResult.objects.filter(task_path=digests.send_digest.module_path).order_by(
            "enqueued_at"
        )
    )


def run(job: DBTaskResult):
    """Run a queued job as the worker does once its ``run_after`` has come."""
    return job.task.call(*job.args_kwargs["args"], **job.args_kwargs["kwargs"])


@pytest.fixture
def berliner(admin):
    admin.timezone = "Europe/Berlin"
    admin.save(update_fields=["timezone"])
    return admin


def test_next_send_is_the_weekday_and_hour_in_the_persons_zone():
    # Wednesday 2 December 2026, noon UTC; Berlin is UTC+1 in winter:
    # Monday 7 December 08:00 Berlin = 07:00 UTC.
    wednesday = datetime(2026, 12, 2, 12, tzinfo=UTC)
    assert digests.next_send_at(MONDAY, 8, "Europe/Berlin", wednesday) == datetime(
        2026, 12, 7, 7, tzinfo=UTC
    )
    # Across the spring change (29 March 2027 is in summer time, UTC+2): 06:00 UTC.
    before_dst = datetime(2027, 3, 24, 12, tzinfo=UTC)
    assert digests.next_send_at(MONDAY, 8, "Europe/Berlin", before_dst) == datetime(
        2027, 3, 29, 6, tzinfo=UTC
    )
    # On the day itself, after the hour: next week.
    monday_noon = datetime(2026, 12, 7, 11, tzinfo=UTC)
    assert digests.next_send_at(MONDAY, 8, "Europe/Berlin", monday_noon) == datetime(
        2026, 12, 14, 7, tzinfo=UTC
    )


def test_subscribing_schedules_one_job_and_again_moves_it(berliner, at):
    at(2026, 12, 2, 12)
    first = services.subscribe(
        actor=berliner, slug="sales-won-lost", query="period=this_month&x=1", weekday=0, hour=8
    )
    assert first.query == "period=this_month"  # only the report's filters are kept
    assert first.next_send_at == datetime(2026, 12, 7, 7, tzinfo=UTC)
    again = services.subscribe(
        actor=berliner, slug="sales-won-lost", query="period=this_month", weekday=4, hour=17
    )
    assert again.pk == first.pk
    assert again.next_send_at == datetime(2026, 12, 4, 16, tzinfo=UTC)  # Friday 17:00 Berlin
    jobs = digest_jobs()
    assert [job.run_after for job in jobs] == [
        datetime(2026, 12, 7, 7, tzinfo=UTC),
        datetime(2026, 12, 4, 16, tzinfo=UTC),
    ]
    assert run(jobs[0]) is False  # the moved subscription's old job sends nothing


def test_bad_subscriptions_are_refused_with_reasons(member, at):
    at(2026, 12, 2, 12)
    other = DepartmentFactory(name="Finance", slug="finance")
    with pytest.raises(ValidationError, match="no such report"):
        services.subscribe(actor=member, slug="nope", query="", weekday=0, hour=8)
    with pytest.raises(ValidationError, match="department or person you cannot see"):
        services.subscribe(
            actor=member, slug="sales-won-lost", query=f"department={other.pk}", weekday=0, hour=8
        )
    with pytest.raises(ValidationError):
        services.subscribe(actor=member, slug="sales-won-lost", query="", weekday=0, hour=24)
    assert not ReportSubscription.objects.exists()
    assert digest_jobs() == []


def test_the_digest_arrives_by_smtp_and_the_next_is_scheduled(berliner, member, acme, stages, at):
    at(2026, 11, 10, 9)
    deal = records.create_deal(actor=member, client=acme, title="Big", amount=Decimal(1200))
    records.move_deal(actor=member, deal=deal, stage=stages["Won"])
    at(2026, 12, 2, 12)
    subscription = services.subscribe(
        actor=berliner, slug="sales-won-lost", query="period=last_month", weekday=0, hour=8
    )
    at(2026, 12, 7, 7, 0, 5)
    with smtp_server() as inbox:
        [job] = digest_jobs()
        assert run(job) is True
        [message] = inbox.wait_for(1)
    assert message["To"] == berliner.email
    assert message["Subject"].endswith("Sales: Won and lost")
    text = message.get_body(("plain",)).get_content()
    assert "1 Nov 2026 \u2013 30 Nov 2026" in text  # an en dash
    assert "Month | Won | Lost | Won value" in text
    assert "2026-11 | 1 | 0 | 1,200 EUR" in text
    assert "/reports/sales-won-lost/?period=last_month" in text
    html = message.get_body(("html",)).get_content()
    assert "<td" in html and "1,200 EUR" in html
    subscription.refresh_from_db()
    assert subscription.last_sent_at is not None
    assert subscription.next_send_at == datetime(2026, 12, 14, 7, tzinfo=UTC)
    assert digest_jobs()[-1].run_after == subscription.next_send_at


def test_a_cancelled_subscription_sends_nothing(berliner, at):
    at(2026, 12, 2, 12)
    subscription = services.subscribe(
        actor=berliner, slug="sales-won-lost", query="", weekday=0, hour=8
    )
    services.unsubscribe(actor=berliner, subscription=subscription)
    with smtp_server() as inbox:
        assert run(digest_jobs()[0]) is False
        assert inbox.messages == []


def test_someone_elses_subscription_cannot_be_cancelled(berliner, member, at):
    at(2026, 12, 2, 12)
    subscription = services.subscribe(
        actor=berliner, slug="sales-won-lost", query="", weekday=0, hour=8
    )
    with pytest.raises(Exception, match="someone else"):
        services.unsubscribe(actor=member, subscription=subscription)
    assert ReportSubscription.objects.filter(pk=subscription.pk).exists()


def test_losing_the_department_ends_the_subscription_with_a_notice(member, sales, at):
    at(2026, 12, 2, 12)
    subscription = services.subscribe(
        actor=member, slug="sales-won-lost", query=f"department={sales.pk}", weekday=0, hour=8
    )
    with transaction.atomic():
        member.departments.clear()
    at(2026, 12, 7, 8, 0, 5)
    with smtp_server() as inbox:
        assert run(digest_jobs()[0]) is True
        [message] = inbox.wait_for(1)
    assert "has ended" in message["Subject"]
    assert not ReportSubscription.objects.filter(pk=subscription.pk).exists()


# --- The pages ---------------------------------------------------------------------


def test_subscribing_from_the_page_keeps_its_filters(client, berliner, at):
    at(2026, 12, 2, 12)
    client.force_login(berliner)
    url = reverse("reports:subscribe", args=["sales-won-lost"])
    response = client.post(url, {"weekday": 4, "hour": 17, "query": "period=last_month"})
    assert response.status_code == 302
    assert response["Location"].endswith("/reports/sales-won-lost/?period=last_month")
    subscription = ReportSubscription.objects.get(user=berliner)
    assert (subscription.weekday, subscription.hour) == (4, 17)
    page = client.get(response["Location"]).text
    assert "every Friday at 17:00 (Europe/Berlin)" in page
    assert "Stop this email" in page
    catalog_page = client.get(reverse("reports:home")).text
    assert "Sales · Won and lost" in catalog_page


def test_a_bad_hour_is_refused_with_a_message(client, member, at):
    at(2026, 12, 2, 12)
    client.force_login(member)
    url = reverse("reports:subscribe", args=["sales-won-lost"])
    response = client.post(url, {"weekday": 0, "hour": 99, "query": ""}, follow=True)
    assert "Pick a day of the week and an hour" in response.text
    assert not ReportSubscription.objects.exists()


def test_stopping_someone_elses_email_is_404_and_next_stays_on_site(client, berliner, member, at):
    at(2026, 12, 2, 12)
    subscription = services.subscribe(
        actor=berliner, slug="sales-won-lost", query="", weekday=0, hour=8
    )
    stop = reverse("reports:unsubscribe", args=[subscription.pk])
    client.force_login(member)
    assert client.post(stop).status_code == 404
    client.force_login(berliner)
    response = client.post(stop, {"next": "https://evil.example/"})
    assert response["Location"] == reverse("reports:home") + "#subscriptions"
    assert not ReportSubscription.objects.exists()
