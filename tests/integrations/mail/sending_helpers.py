"""What the tests of sending mail, the compose dialog and snippets share (imported by them):
a client with two contacts, the jobs ``send_email`` queued, and files to attach."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tasks_db.models import DBTaskResult

from integrations.mail.models import EmailMessage, EmailThread
from integrations.mail.tasks import send_message
from records import services

HTMX = {"HTTP_HX_REQUEST": "true"}
JO = "jo@acme.example"
KIM = "kim@acme.example"


@pytest.fixture
def acme(member):
    """A client owned by ``member`` with contacts Jo Lee (two addresses) and Kim Park."""
    client = services.create_client(actor=member, name="Acme GmbH", domain="acme.example")
    services.create_contact(
        actor=member, client=client, name="Jo Lee", emails=[JO, "jo.lee@home.example"]
    )
    services.create_contact(actor=member, client=client, name="Kim Park", emails=[KIM])
    return client


@pytest.fixture
def jo(acme):
    return acme.contacts.get(name="Jo Lee")


@pytest.fixture
def deal(member, acme):
    return services.create_deal(actor=member, client=acme, title="Rollout", amount=Decimal(900))


@pytest.fixture
def ticket(support_member, acme, jo):
    return services.create_ticket(
        actor=support_member, client=acme, subject="Cannot log in", contact=jo
    )


def queued(message: EmailMessage | None = None) -> list[list]:
    """The arguments of the send jobs waiting (for ``message`` only, if given), sorted."""
    jobs = DBTaskResult.objects.filter(task_path__endswith="outgoing.send_message", status="READY")
    args = sorted(job.args_kwargs["args"] for job in jobs)
    return [a for a in args if message is None or a[0] == message.pk]


def run_queued() -> list[str]:
    """Run the waiting send jobs, as a worker would, and mark them done."""
    outcomes = []
    for job in DBTaskResult.objects.filter(
        task_path__endswith="outgoing.send_message", status="READY"
    ).order_by("enqueued_at"):
        outcomes.append(send_message.call(*job.args_kwargs["args"]))
        DBTaskResult.objects.filter(pk=job.pk).update(status="SUCCESSFUL")
    return outcomes


def upload(name: str = "offer.pdf", size: int = 1000, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, b"%PDF" + b"x" * (size - 4), content_type=content_type)


def inbound(thread: EmailThread, *, sender: str = JO, message_id: str = "answer-1@acme.example"):
    """A mail the client wrote in ``thread`` (as the receiver stores one)."""
    return EmailMessage.objects.create(
        thread=thread,
        client=thread.client,
        direction=EmailMessage.Direction.IN,
        status=EmailMessage.Status.RECEIVED,
        source=EmailMessage.Source.SMTP,
        message_id=message_id,
        in_reply_to=thread.messages.first().message_id,
        references=thread.messages.first().message_id,
        from_address=sender,
        from_name="Jo Lee",
        to=["someone@example.com"],
        subject=f"Re: {thread.subject}",
        body_text="Sounds good.",
    )
