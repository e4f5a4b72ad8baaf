"""Weekly report digests: a subscribed report by email, on a weekday and hour in the
subscriber's own time zone.

Scheduling follows the reminders' pattern (records/services/reminders.py):
the job is enqueued at write time with ``run_after`` = the next send moment
and re-checks the subscription when it runs; after sending it enqueues the
next week's. Nothing polls. The report is computed as the subscriber, at send
time, with the filters they subscribed with: what they may see then is what
the email shows.
"""

from datetime import datetime, time, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.http import Http404, QueryDict
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from reports import catalog, filters
from reports.models import ReportSubscription
from reports.templatetags.report_cells import plain_text
from workspace import moments

DIGEST_TEXT = "reports/email/digest.txt"
DIGEST_HTML = "reports/email/digest.html"
ROWS_IN_EMAIL = 25


def next_send_at(weekday: int, hour: int, tz_name: str, after: datetime) -> datetime:
    """The first ``weekday`` at ``hour``:00 in ``tz_name`` strictly after ``after``."""
    tz = moments.zone(tz_name)
    local_day = timezone.localtime(after, tz).date()
    for offset in range(8):
        day = local_day + timedelta(days=offset)
        moment = datetime.combine(day, time(hour), tzinfo=tz)
        if day.weekday() == weekday and moment > after:
            return moment
    raise AssertionError("a weekday comes back within eight days")


def schedule(subscription: ReportSubscription) -> None:
    """Enqueue the job sending ``subscription`` at its ``next_send_at`` (call in the
    transaction that saved it)."""
    due = subscription.next_send_at
    send_digest.using(run_after=due).enqueue(subscription.pk, due.isoformat())


@task
def send_digest(subscription_id: int, due: str) -> bool:
    """The job ``schedule`` enqueues: email the report unless the subscription was changed
    or cancelled meanwhile; returns whether an email went out."""
    with transaction.atomic():
        subscription = (
            ReportSubscription.objects.select_for_update()
            .select_related("user")
            .filter(pk=subscription_id)
            .first()
        )
        if subscription is None or subscription.next_send_at != datetime.fromisoformat(due):
            return False
        if not subscription.user.is_active:
            subscription.delete()
            return False
        message, ended = digest_message(subscription)
        if ended:
            subscription.delete()
        else:
            _move_to_next_week(subscription)
        transaction.on_commit(partial(message.send), robust=True)
    return True


def _move_to_next_week(subscription: ReportSubscription) -> None:
    subscription.last_sent_at = timezone.now()
    subscription.next_send_at = next_send_at(
        subscription.weekday, subscription.hour, subscription.user.timezone, timezone.now()
    )
    subscription.save(update_fields=["last_sent_at", "next_send_at"])
    schedule(subscription)


def digest_message(subscription: ReportSubscription) -> tuple[EmailMultiAlternatives, bool]:
    """The email for ``subscription`` now, and whether the subscription ended: when its
    report or filters are no longer open to the subscriber, the email says so instead."""
    user = subscription.user
    spec = catalog.get(subscription.report)
    try:
        if spec is None:
            raise Http404
        chosen, _form = filters.read_filters(user, QueryDict(subscription.query))
    except Http404:
        return _ended_message(subscription), True
    report = spec.build(chosen)
    link = (
        f"{settings.SITE_URL}{reverse('reports:report', args=[spec.slug])}?{chosen.query_string()}"
    )
    context = {
        "person": user,
        "spec": spec,
        "filters": chosen,
        "report": report,
        "figures": [
            (f.label, plain_text(f.value, f.kind, report.currency)) for f in report.figures
        ],
        "header": [column.label for column in report.columns],
        "rows": _text_rows(report, report.rows[:ROWS_IN_EMAIL]),
        "totals": _text_rows(report, [report.totals])[0] if report.totals else None,
        "more": max(0, len(report.rows) - ROWS_IN_EMAIL),
        "link": link,
        "settings_link": f"{settings.SITE_URL}{reverse('reports:home')}#subscriptions",
    }
    subject = f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{spec.area_title}: {spec.title}"
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string(DIGEST_TEXT, context), to=[user.email]
    )
    message.attach_alternative(render_to_string(DIGEST_HTML, context), "text/html")
    return message, False


def _text_rows(report, rows: list[dict]) -> list[list[str]]:
    return [
        [plain_text(row.get(column.key), column.kind, report.currency) for column in report.columns]
        for row in rows
    ]


def _ended_message(subscription: ReportSubscription) -> EmailMultiAlternatives:
    body = (
        f"Hello {subscription.user.get_short_name()},\n\n"
        f"Your weekly report “{subscription.report}” can no longer be sent: the report, or a "
        "department or person it was filtered on, is no longer open to you. The subscription "
        "has ended; subscribe again from the Reports page if you still want it.\n"
    )
    return EmailMultiAlternatives(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Your weekly report has ended",
        body=body,
        to=[subscription.user.email],
    )
