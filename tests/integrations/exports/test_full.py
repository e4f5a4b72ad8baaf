"""The admin's full export: a background job, a zip of CSVs, for the admin who asked only."""

import csv
import io
import os
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from calendar_app import services as calendar
from chat import services as chat
from integrations.exports import full
from integrations.exports.tasks import build_full_export
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FILES = [
    "clients.csv",
    "contacts.csv",
    "deals.csv",
    "tickets.csv",
    "tasks.csv",
    "comments.csv",
    "handoffs.csv",
    "timeline.csv",
    "calendar_events.csv",
    "chat_messages.csv",
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.EXPORTS_ROOT = tmp_path
    return tmp_path


def start(client, admin) -> str:
    """Ask for a full export as ``admin``; run its job; the file's name."""
    client.force_login(admin)
    response = client.post(reverse("exports:full_start"))
    assert response.status_code == 302
    job = DBTaskResult.objects.filter(task_path=build_full_export.module_path).latest("enqueued_at")
    [name] = job.args_kwargs["args"][1:]
    assert full.pending(admin) >= 1
    assert build_full_export.call(*job.args_kwargs["args"]) == name
    return name


def csv_of(archive: zipfile.ZipFile, name: str) -> list[dict]:
    text = archive.read(name).decode("utf-8").removeprefix("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


def test_full_export_holds_every_file_with_headers(client, admin, member, contact, deal, ticket):
    name = start(client, admin)
    assert full.pending(admin) == 0
    assert admin.notifications.get().link == reverse("exports:full_download", args=[name])
    page = client.get(reverse("exports:full")).content.decode()
    assert reverse("exports:full_download", args=[name]) in page
    response = client.get(reverse("exports:full_download", args=[name]))
    assert response["Content-Disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.namelist() == FILES
    for each in FILES:
        header = archive.read(each).decode("utf-8").removeprefix("\ufeff").splitlines()[0]
        assert header.startswith("ID,"), each
    assert [row["Name"] for row in csv_of(archive, "clients.csv")] == ["Acme GmbH"]
    assert [row["Emails"] for row in csv_of(archive, "contacts.csv")] == ["jo@acme.example"]
    assert [row["Title"] for row in csv_of(archive, "deals.csv")] == ["Rollout"]
    timeline = csv_of(archive, "timeline.csv")
    assert timeline and {row["Client"] for row in timeline} == {"Acme GmbH"}


def test_private_rooms_direct_messages_and_private_events_stay_out(client, admin, member, sales):
    open_room = chat.create_room(actor=member, name="Lunch")
    chat.post_message(actor=member, room=open_room, body="Pizza?")
    secret = chat.create_room(actor=admin, name="Board", private=True)
    chat.post_message(actor=admin, room=secret, body="Layoffs")
    direct = chat.open_direct(actor=member, people=[admin])
    chat.post_message(actor=member, room=direct, body="Just between us")
    start_at = datetime(2027, 3, 1, 9, tzinfo=UTC)
    calendar.create_event(
        actor=admin,
        title="Doctor",
        start=start_at,
        end=start_at + timedelta(hours=1),
        location="Clinic",
        visibility="private",
    )
    archive = zipfile.ZipFile(full.find(admin, start(client, admin)))
    bodies = [row["Body"] for row in csv_of(archive, "chat_messages.csv")]
    assert "Pizza?" in bodies
    assert "Layoffs" not in bodies and "Just between us" not in bodies
    [event] = csv_of(archive, "calendar_events.csv")
    assert (event["Title"], event["Location"]) == ("Busy", "")


def test_only_admins_export_everything(client, member):
    client.force_login(member)
    assert client.get(reverse("exports:full")).status_code == 403
    assert client.post(reverse("exports:full_start")).status_code == 403
    assert not DBTaskResult.objects.exists()


def test_an_export_is_downloaded_only_by_the_admin_who_asked(client, admin, member, sales):
    name = start(client, admin)
    other_admin = UserFactory(role="admin", departments=[sales])
    client.force_login(other_admin)
    assert client.get(reverse("exports:full_download", args=[name])).status_code == 404
    client.force_login(member)
    assert client.get(reverse("exports:full_download", args=[name])).status_code == 403
    client.force_login(admin)
    sneaky = reverse("exports:full") + "..%2F..%2Fsecret.zip/"
    assert client.get(sneaky).status_code == 404


def test_exports_are_deleted_after_the_retention_or_on_request(client, admin, media):
    old, recent = start(client, admin), start(client, admin)
    long_ago = (datetime.now(UTC) - full.RETENTION - timedelta(hours=1)).timestamp()
    os.utime(full.find(admin, old), (long_ago, long_ago))
    client.get(reverse("exports:full"))
    assert full.find(admin, old) is None and full.find(admin, recent)
    client.post(reverse("exports:full_delete", args=[recent]))
    assert full.ready(admin) == []


def test_a_job_for_someone_no_longer_admin_exports_nothing(client, admin):
    client.force_login(admin)
    client.post(reverse("exports:full_start"))
    job = DBTaskResult.objects.get()
    admin.role = "member"
    admin.save()
    assert build_full_export.call(*job.args_kwargs["args"]) == ""
    assert full.pending(admin) == 0 and full.ready(admin) == []
