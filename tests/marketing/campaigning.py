"""Helpers of the campaign-sending tests: people to email, a static segment of them, consent,
a ready campaign, and the jobs django-tasks-db queued (run as a worker would)."""

from django_tasks_db.models import DBTaskResult

from marketing.models import Consent, Segment, SegmentMember
from marketing.services import campaigns as services
from records import services as records

BODY = "Hello {{ contact.first_name|default:'there' }},\n\nRead [our news](https://news.example/read).\n"


def people(actor, client, names):
    """Contacts of ``client`` named ``names``, each with the address <first name>@people.example."""
    return [
        records.create_contact(
            actor=actor,
            client=client,
            name=name,
            emails=[f"{name.split()[0].lower()}@people.example"],
        )
        for name in names
    ]


def static_segment(contacts, name="Newsletter readers") -> Segment:
    segment = Segment.objects.create(name=name, kind=Segment.Kind.STATIC)
    SegmentMember.objects.bulk_create(
        SegmentMember(segment=segment, client_id=c.client_id, contact=c) for c in contacts
    )
    return segment


def consent(*emails) -> None:
    Consent.objects.bulk_create(
        Consent(email=email, source=Consent.Source.MANUAL, text="Newsletter") for email in emails
    )


def first_email(contact) -> str:
    return contact.emails[0]


def ready_campaign(actor, segment, **fields):
    values = {"subject": "December news", "body": BODY, "segment": segment} | fields
    return services.create_campaign(actor=actor, name="December", **values)


def jobs(task) -> list[DBTaskResult]:
    """The queued (not yet run) jobs of ``task``, oldest first."""
    return list(
        DBTaskResult.objects.filter(status="READY", task_path=task.module_path).order_by(
            "enqueued_at"
        )
    )


def run(job: DBTaskResult):
    """Run a queued job as the worker does once its ``run_after`` has come: RUNNING while it
    runs, SUCCESSFUL after."""
    DBTaskResult.objects.filter(pk=job.pk).update(status="RUNNING")
    result = job.task.call(*job.args_kwargs["args"], **job.args_kwargs["kwargs"])
    DBTaskResult.objects.filter(pk=job.pk).update(status="SUCCESSFUL")
    return result
