"""The profile page: name, time zone, working hours, avatar; bad input saves nothing."""

import io
import os
from datetime import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import escape
from PIL import Image

from accounts.models import EmailNotifications, User

PROFILE = reverse("profile")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def me(client, member):
    client.force_login(member)
    return member


def picture(name="me.png", image_format="PNG", size=(32, 32), noise=False) -> SimpleUploadedFile:
    image = Image.new("RGB", size, (40, 120, 200))
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{image_format.lower()}")


def form_data(person: User, **changes) -> dict:
    data = {
        "full_name": person.full_name,
        "job_title": person.job_title,
        "timezone": person.timezone,
        "work_start": person.work_start.strftime("%H:%M"),
        "work_end": person.work_end.strftime("%H:%M"),
        "work_days": person.work_days,
        "email_notifications": person.email_notifications,
        "reminder_minutes": person.reminder_minutes,
    }
    return data | changes


def snapshot(person: User) -> tuple:
    person = User.objects.get(pk=person.pk)
    return (
        person.full_name,
        person.timezone,
        person.work_start,
        person.work_end,
        person.work_days,
        person.avatar.name,
    )


def test_the_profile_page_shows_the_form(client, me):
    response = client.get(PROFILE)
    assert response.status_code == 200
    assert response.context["form"].instance == me
    assert "Europe/Berlin" in response.context["timezone_names"]
    # No picture yet: the initials on a colour.
    assert f'aria-label="{escape(me.full_name)}">{me.initials}</span>' in response.text


def test_update_name_timezone_hours_and_days(client, me):
    response = client.post(
        PROFILE,
        form_data(
            me,
            full_name="Maria Member",
            job_title="Account Executive",
            timezone="America/New_York",
            work_start="07:30",
            work_end="15:45",
            work_days=["0", "1", "2", "3"],
            email_notifications=EmailNotifications.ALL,
            reminder_minutes="15",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == PROFILE
    me.refresh_from_db()
    assert me.full_name == "Maria Member"
    assert me.job_title == "Account Executive"
    assert me.timezone == "America/New_York"
    assert (me.work_start, me.work_end) == (time(7, 30), time(15, 45))
    assert me.work_days == [0, 1, 2, 3]
    assert me.email_notifications == EmailNotifications.ALL
    assert me.reminder_minutes == 15
    assert "Your profile is saved" in client.get(PROFILE).text


def test_pages_then_show_times_in_the_new_timezone(client, me):
    client.post(PROFILE, form_data(me, timezone="Asia/Kolkata"))
    assert "Asia/Kolkata" in client.get(reverse("home")).text


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "Europe/Berlinn", "UTC+2", "../etc"])
def test_an_unknown_timezone_is_a_clear_error_and_nothing_is_saved(client, me, name):
    before = snapshot(me)
    response = client.post(PROFILE, form_data(me, full_name="Changed", timezone=name))
    assert response.status_code == 200
    errors = response.context["form"].errors["timezone"]
    assert "is not a known time zone" in errors[0]
    assert "Europe/Berlin or America/New_York" in errors[0]
    assert snapshot(me) == before


def test_working_hours_must_end_after_they_start(client, me):
    before = snapshot(me)
    response = client.post(
        PROFILE, form_data(me, full_name="Changed", work_start="17:00", work_end="09:00")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["work_end"] == [
        "Working hours must end after they start."
    ]
    assert snapshot(me) == before


@pytest.mark.parametrize(
    ("days", "field"), [([], "work_days"), (["7"], "work_days"), (["mon"], "work_days")]
)
def test_work_days_must_be_weekdays(client, me, days, field):
    before = snapshot(me)
    response = client.post(PROFILE, form_data(me, work_days=days))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert snapshot(me) == before


@pytest.mark.parametrize(
    ("name", "image_format"), [("me.png", "PNG"), ("me.jpg", "JPEG"), ("me.webp", "WEBP")]
)
def test_a_good_avatar_is_saved(client, me, media_root, name, image_format):
    response = client.post(PROFILE, form_data(me, avatar=picture(name, image_format)))
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.avatar.name.startswith("avatars/")
    assert me.avatar.name.endswith(name.rsplit(".", 1)[1])
    stored = media_root / me.avatar.name
    assert stored.is_file()
    with Image.open(stored) as image:
        assert image.format == image_format
    # The picture replaces the initials everywhere the person is shown.
    assert f'src="{me.avatar.url}"' in client.get(reverse("team")).text


def test_replacing_an_avatar_deletes_the_old_file(
    client, me, media_root, django_capture_on_commit_callbacks
):
    client.post(PROFILE, form_data(me, avatar=picture()))
    me.refresh_from_db()
    old = media_root / me.avatar.name
    assert old.is_file()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(PROFILE, form_data(me, avatar=picture("new.png")))

    me.refresh_from_db()
    assert (media_root / me.avatar.name).is_file()
    assert not old.exists()


def test_clearing_the_avatar_falls_back_to_initials(client, me):
    client.post(PROFILE, form_data(me, avatar=picture()))
    response = client.post(PROFILE, form_data(me, **{"avatar-clear": "on"}))
    assert response.status_code == 302
    me.refresh_from_db()
    assert not me.avatar


def test_a_text_file_named_png_is_refused(client, me, media_root):
    before = snapshot(me)
    fake = SimpleUploadedFile("me.png", b"I am not a picture\n", content_type="image/png")
    response = client.post(PROFILE, form_data(me, full_name="Changed", avatar=fake))
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["avatar"])
    assert "valid image" in errors
    assert snapshot(me) == before
    assert not (media_root / "avatars").exists()


def test_a_picture_in_an_unsupported_format_is_refused(client, me, media_root):
    before = snapshot(me)
    response = client.post(PROFILE, form_data(me, avatar=picture("me.bmp", "BMP")))
    assert response.status_code == 200
    assert response.context["form"].errors["avatar"] == ["Use a PNG, JPEG, GIF or WebP picture."]
    assert snapshot(me) == before
    assert not (media_root / "avatars").exists()


def test_a_picture_over_the_limit_is_refused_with_the_limit_named(client, me, media_root, settings):
    settings.AVATAR_MAX_BYTES = 4 * 1024
    big = picture(size=(96, 96), noise=True)
    assert big.size > settings.AVATAR_MAX_BYTES
    before = snapshot(me)

    response = client.post(PROFILE, form_data(me, full_name="Changed", avatar=big))

    assert response.status_code == 200
    [error] = response.context["form"].errors["avatar"]
    assert f"the limit is {filesizeformat(settings.AVATAR_MAX_BYTES)}" in error
    assert "Choose a smaller one" in error
    assert snapshot(me) == before
    assert not (media_root / "avatars").exists()


def test_a_picture_just_under_the_limit_is_accepted(client, me, settings):
    small = picture()
    settings.AVATAR_MAX_BYTES = small.size
    assert client.post(PROFILE, form_data(me, avatar=small)).status_code == 302
    me.refresh_from_db()
    assert me.avatar
