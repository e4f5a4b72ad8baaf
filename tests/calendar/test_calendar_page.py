"""The calendar page (calendar:home): whose calendars, their live topics and colours, the
settings FullCalendar gets, bad links, and the page's content security policy."""

import re
from datetime import time

import pytest
from django.urls import NoReverseMatch, reverse

from calendar_app.views.calendar import EMPTY_STYLE
from tests.factories import UserFactory
from tests.records.queries import count_queries

HOME = reverse("calendar:home")

pytestmark = pytest.mark.django_db


def topics(response) -> set[str]:
    return set(re.search(r'data-live-topics="([^"]*)"', response.text).group(1).split())


def legend(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-person="(\d+)"', response.text)]


def attribute(response, name) -> str:
    return re.search(rf'{name}="([^"]*)"', response.text).group(1)


def test_my_calendar_by_default(client, organizer):
    client.force_login(organizer)
    response = client.get(HOME)

    assert response.status_code == 200
    assert topics(response) == {f"user.{organizer.pk}", f"calendar.{organizer.pk}"}
    assert legend(response) == [organizer.pk]
    assert "Your calendar" in response.text
    assert f'class="cal-swatch cal-c{organizer.pk % 8}"' in response.text
    assert f'name="people" value="{organizer.pk}" checked' in response.text


def test_colleagues_chosen_in_the_link_with_me_first(client, organizer, invitee, colleague):
    client.force_login(colleague)
    response = client.get(HOME, {"people": f"{invitee.pk},{colleague.pk}"})

    assert topics(response) == {
        f"user.{colleague.pk}",
        f"calendar.{colleague.pk}",
        f"calendar.{invitee.pk}",
    }
    assert legend(response) == [colleague.pk, invitee.pk]
    assert "2 calendars" in response.text


def test_a_colleagues_calendar_alone(client, organizer, colleague):
    client.force_login(colleague)
    response = client.get(HOME, {"people": str(organizer.pk)})

    assert topics(response) == {f"user.{colleague.pk}", f"calendar.{organizer.pk}"}
    assert "Olga Organizer\u2019s calendar" in response.text
    assert f'name="people" value="{colleague.pk}" checked' not in response.text


def test_a_department_overlay_follows_every_member(client, organizer, invitee, colleague, sales):
    client.force_login(colleague)
    response = client.get(HOME, {"dept": str(sales.pk)})

    assert topics(response) == {
        f"user.{colleague.pk}",
        f"calendar.{organizer.pk}",
        f"calendar.{invitee.pk}",
    }
    assert legend(response) == [invitee.pk, organizer.pk]  # by name
    assert "Sales overlay · 2 people" in response.text
    assert f'<option value="{sales.pk}" selected>' in response.text


def test_unknown_and_departed_people_in_a_link_are_left_out_and_said_so(client, organizer, invitee):
    invitee.is_active = False
    invitee.save()
    client.force_login(organizer)
    response = client.get(HOME, {"people": f"{organizer.pk},{invitee.pk},999999"})

    assert response.status_code == 200
    assert topics(response) == {f"user.{organizer.pk}", f"calendar.{organizer.pk}"}
    assert "Some people in this link are not shown" in response.text
    assert "Ivan Invitee" not in response.text  # nor offered in the panel


@pytest.mark.parametrize("query", [{"people": "organizer"}, {"people": "1;2"}, {"dept": "sales"}])
def test_a_malformed_link_answers_400_with_the_reason(client, organizer, query):
    client.force_login(organizer)
    response = client.get(HOME, query)

    assert response.status_code == 400
    assert "is not a" in response.text and "id. Pick from the list again." in response.text


def test_fullcalendar_gets_my_zone_working_hours_and_the_urls(client, organizer):
    organizer.timezone = "America/New_York"
    organizer.work_start, organizer.work_end, organizer.work_days = (
        time(8, 30),
        time(16),
        [0, 1, 2, 3, 6],
    )
    organizer.save()
    client.force_login(organizer)
    response = client.get(HOME, {"view": "timeGridDay", "date": "2030-03-04"})

    assert attribute(response, "data-time-zone") == "America/New_York"
    assert attribute(response, "data-work-days") == "1 2 3 4 0"  # Mon-Thu and Sunday
    assert (attribute(response, "data-work-start"), attribute(response, "data-work-end")) == (
        "08:30",
        "16:00",
    )
    assert (attribute(response, "data-view"), attribute(response, "data-date")) == (
        "timeGridDay",
        "2030-03-04",
    )
    assert attribute(response, "data-feed-url") == reverse("calendar:events_json")
    assert attribute(response, "data-move-url") == reverse("calendar:event_move", args=[0])


def test_an_unknown_view_or_date_falls_back_to_the_default(client, organizer):
    client.force_login(organizer)
    response = client.get(HOME, {"view": "<script>", "date": "2030-02-30"})

    assert (attribute(response, "data-view"), attribute(response, "data-date")) == ("", "")


def test_new_event_is_offered_from_the_page(client, organizer):
    try:
        new_event = reverse("calendar:event_new")
    except NoReverseMatch:
        pytest.skip("the event form is not wired yet")
    client.force_login(organizer)
    response = client.get(HOME)

    assert attribute(response, "data-new-url") == new_event
    assert f'href="{new_event}"' in response.text


def test_the_page_allows_only_fullcalendars_empty_style_and_font(client, organizer):
    client.force_login(organizer)
    response = client.get(HOME)

    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["style-src"] == f"'self' {EMPTY_STYLE}"
    assert policy["font-src"] == "'self' data:"  # FullCalendar's embedded icon font
    assert policy["script-src"] == "'self'"
    assert "unsafe" not in response["Content-Security-Policy"]
    assert not re.search(r"<script\b(?![^>]*\bsrc=)", response.text)
    assert not re.search(r"\sstyle=|\son[a-z]+=", response.text)
    # Only this page: others keep the strict policy.
    assert EMPTY_STYLE not in client.get(reverse("home"))["Content-Security-Policy"]


def test_the_sidebar_links_to_the_calendar(client, organizer):
    client.force_login(organizer)
    response = client.get(HOME)

    assert re.search(rf'<a href="{HOME}" class="nav-item active"', response.text)


def test_signed_out_people_are_sent_to_sign_in(client, db):
    assert client.get(HOME).status_code == 302


def test_a_large_department_shows_its_first_50_and_says_so(client, organizer, sales):
    for number in range(50):
        UserFactory(full_name=f"Seller {number:02}", departments=[sales])
    client.force_login(organizer)
    response = client.get(HOME, {"dept": str(sales.pk), "people": str(organizer.pk)})

    assert len(legend(response)) == 50
    assert legend(response)[0] == organizer.pk
    assert "the calendars of the first 50 are shown" in response.text


def test_people_shown_are_listed_first_in_the_panel(client, organizer, invitee, colleague):
    client.force_login(organizer)
    response = client.get(HOME, {"people": f"{organizer.pk},{colleague.pk}"})

    panel = response.text[response.text.index('id="calendar-people"') :]
    assert panel.index("Cora Colleague") < panel.index("Ivan Invitee")


def test_the_page_costs_the_same_queries_for_few_or_many_colleagues(client, organizer, sales):
    client.force_login(organizer)
    url = f"{HOME}?dept={sales.pk}&people={organizer.pk}"
    few = count_queries(client, url)
    for number in range(30):
        UserFactory(full_name=f"Seller {number:02}", departments=[sales])
    assert count_queries(client, url) == few
