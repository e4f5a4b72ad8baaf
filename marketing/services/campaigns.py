"""Campaign writes: compose, test, schedule, cancel. Sending itself is marketing/tasks.py;
what recipients do with the email (open, click, unsubscribe) is marketing/services/tracking.py.

A campaign's content (everything but its cost and currency) changes only while
it is a draft or scheduled: once sending, every recipient must get the same
email. Its merge fields are checked on every save and again before it is
scheduled (marketing/mail.py).
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from marketing import mail, policies, segments
from marketing.campaign_events import publish_progress
from marketing.models import Campaign, Segment

EDITABLE_FIELDS = {
    "name",
    "subject",
    "preheader",
    "body",
    "layout",
    "segment",
    "send_rate",
    "cost",
    "currency",
    "utm_campaign",
}
ALWAYS_EDITABLE = {"cost", "currency"}


def _require_manager(actor: User) -> None:
    if not policies.can_manage_marketing(actor):
        raise PermissionDenied("Only the marketing team and admins can change campaigns.")


def _lock(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


def _check_fields(fields: dict) -> None:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(f"Unknown campaign fields: {', '.join(sorted(unknown))}.")
    segment = fields.get("segment")
    if segment is not None and not isinstance(segment, Segment):
        raise ValidationError({"segment": "Pick one of the saved segments."})
    rate = fields.get("send_rate")
    if rate is not None and rate < 1:
        raise ValidationError(
            {"send_rate": "Send at least one email a minute (or leave it empty)."}
        )


def content_errors(*, subject: str, preheader: str, body: str) -> dict[str, list[str]]:
    """Unknown merge fields and template syntax in the subject, preheader and body, by
    field (the editor lists them as you type; sending refuses them)."""
    errors = {
        "subject": mail.check_content(subject=subject, body=""),
        "preheader": [
            error.replace("Subject", "Preheader", 1)
            for error in mail.check_content(subject=preheader, body="")
        ],
        "body": mail.check_content(subject="", body=body),
    }
    return {field: messages for field, messages in errors.items() if messages}


def _check_content(campaign: Campaign) -> None:
    errors = content_errors(
        subject=campaign.subject, preheader=campaign.preheader, body=campaign.body
    )
    if errors:
        raise ValidationError(errors)


def _save(campaign: Campaign, fields: list[str] | None = None) -> None:
    """Save a change. A draft may hold merge-field mistakes while it is being written
    (the editor lists them; nothing is sent until they are fixed); a scheduled campaign
    must stay sendable."""
    campaign.full_clean()
    if campaign.status == Campaign.Status.SCHEDULED:
        _check_content(campaign)
    campaign.updated_at = timezone.now()
    campaign.save(update_fields=None if fields is None else [*fields, "updated_at"])


def create_campaign(*, actor: User, name: str, **fields) -> Campaign:
    """A draft campaign named ``name`` with ``fields`` (any of EDITABLE_FIELDS)."""
    _require_manager(actor)
    _check_fields(fields)
    with transaction.atomic():
        campaign = Campaign(name=name, created_by=actor, **fields)
        _save(campaign)
        publish_progress(campaign, "campaign.created", actor=actor)
    return campaign


def update_campaign(*, actor: User, campaign: Campaign, **fields) -> Campaign:
    """Change ``fields`` of a draft or scheduled campaign; cost and currency may change any
    time. Refused (ValidationError with the reason) once it is sending, sent or cancelled."""
    _require_manager(actor)
    _check_fields(fields)
    with transaction.atomic():
        campaign = _lock(campaign)
        frozen = sorted(set(fields) - ALWAYS_EDITABLE)
        if frozen and not campaign.is_editable:
            raise ValidationError(
                f"This campaign is {campaign.get_status_display().lower()}, so its content "
                "can no longer change (only its cost and currency can). Duplicate it to send "
                "a changed version."
            )
        for field, value in fields.items():
            setattr(campaign, field, value)
        _save(campaign, list(fields))
        publish_progress(campaign, "campaign.updated", actor=actor, fields=sorted(fields))
    return campaign


def send_test(*, actor: User, campaign: Campaign) -> None:
    """Queue a job emailing the campaign, rendered with sample values, to the actor's own
    address (subject prefixed "[Test] ", links plain, no tracking)."""
    from marketing.tasks import send_test_email

    _require_manager(actor)
    if not actor.email:
        raise ValidationError("Your account has no email address to send the test to.")
    _check_sendable_content(campaign)
    send_test_email.enqueue(campaign.pk, actor.pk)


def _check_sendable_content(campaign: Campaign) -> None:
    missing = [
        label
        for label, value in (("a subject", campaign.subject), ("a body", campaign.body))
        if not value.strip()
    ]
    if missing:
        raise ValidationError(f"Write {' and '.join(missing)} first.")
    _check_content(campaign)


def schedule_campaign(*, actor: User, campaign: Campaign, when: datetime | None = None):
    """Schedule the campaign for ``when`` (None: now), or move a scheduled one. Refused when
    it has no subject or body, merge-field errors, no segment, or a segment that matches
    nobody. The prepare job runs at ``when`` and re-checks the campaign then."""
    from marketing.tasks import prepare_campaign

    _require_manager(actor)
    moment = when or timezone.now()
    with transaction.atomic():
        campaign = _lock(campaign)
        if not campaign.is_editable:
            raise ValidationError(
                f"This campaign is {campaign.get_status_display().lower()} already."
            )
        _check_sendable_content(campaign)
        if campaign.segment is None:
            raise ValidationError({"segment": "Pick the segment to send the campaign to."})
        if not segments.contacts_of(campaign.segment).exists():
            raise ValidationError(
                {
                    "segment": f"The segment “{campaign.segment}” matches nobody at the "
                    "moment. Pick another segment or change its conditions."
                }
            )
        campaign.status = Campaign.Status.SCHEDULED
        campaign.scheduled_for = moment
        campaign.updated_at = timezone.now()
        campaign.save(update_fields=["status", "scheduled_for", "updated_at"])
        prepare_campaign.using(run_after=moment).enqueue(campaign.pk, moment.isoformat())
        publish_progress(campaign, "campaign.scheduled", actor=actor)
    return campaign


def cancel_campaign(*, actor: User, campaign: Campaign) -> Campaign:
    """Stop a scheduled or sending campaign; its queued recipients stay unsent (the batch
    job in flight finishes the message it holds, then stops)."""
    _require_manager(actor)
    with transaction.atomic():
        campaign = _lock(campaign)
        if campaign.status not in (Campaign.Status.SCHEDULED, Campaign.Status.SENDING):
            raise ValidationError(
                f"Only a scheduled or sending campaign can be cancelled; this one is "
                f"{campaign.get_status_display().lower()}."
            )
        campaign.status = Campaign.Status.CANCELLED
        campaign.finished_at = timezone.now()
        campaign.updated_at = campaign.finished_at
        campaign.save(update_fields=["status", "finished_at", "updated_at"])
        publish_progress(campaign, "campaign.cancelled", actor=actor)
    return campaign


COPIED_FIELDS = ("subject", "preheader", "body", "layout", "segment", "send_rate", "currency")


def duplicate_campaign(*, actor: User, campaign: Campaign) -> Campaign:
    """A new draft with ``campaign``'s content and audience (not its cost, UTM name or
    results): how a sent or sending campaign is sent again, changed."""
    _require_manager(actor)
    copied = {field: getattr(campaign, field) for field in COPIED_FIELDS}
    return create_campaign(actor=actor, name=_copy_name(campaign.name), **copied)


def _copy_name(name: str) -> str:
    suffix = " (copy)"
    return name[: Campaign._meta.get_field("name").max_length - len(suffix)] + suffix
