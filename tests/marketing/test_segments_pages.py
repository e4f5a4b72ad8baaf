"""The segment pages: the list, the builder and its live count, saving, freezing, deleting,
the read-only view for sales, and segments as a filter on the client and contact lists."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from marketing.models import Campaign, Segment
from marketing.services import segments as services
from records import services as records
from tests.marketing import segmenting

book, custom_fields, other = segmenting.book, segmenting.custom_fields, segmenting.other

LEADS = {"groups": [{"conditions": [{"field": "lifecycle", "op": "is", "value": "lead"}]}]}
COUNT = reverse("marketing:segment_count")
BUILDER = reverse("marketing:segment_builder")
HTMX = {"HTTP_HX_REQUEST": "true"}


def posted(*conditions, match="all", **extra) -> dict:
    """The builder's form for one group of (field, op, value) conditions."""
    data = {"match": match, "g0-match": "all", **extra}
    for j, (field, op, value) in enumerate(conditions):
        data |= {f"g0-c{j}-field": field, f"g0-c{j}-op": op, f"g0-c{j}-value": value}
    return data


@pytest.fixture
def as_marketer(client, marketer):
    client.force_login(marketer)
    return client


@pytest.fixture
def as_member(client, member):
    client.force_login(member)
    return client


# --- The live count and the builder ------------------------------------------------------


def test_the_count_endpoint_counts_the_posted_state(as_marketer, book):
    response = as_marketer.post(COUNT, posted(("lifecycle", "is", "lead")), **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<strong>1</strong> client" in page
    assert "<strong>2</strong> contacts" in page
    assert "jo@acme.example" in page  # the preview: client, contact, email, owner
    assert book["acme"].owner.full_name in page


def test_unfinished_conditions_are_left_out_of_the_count_and_said(as_marketer, book):
    data = posted(("lifecycle", "is", "lead"), ("tags", "any", ""))
    page = as_marketer.post(COUNT, data, **HTMX).content.decode()
    assert "<strong>1</strong> client" in page
    assert "1 unfinished condition not counted yet." in page


def test_an_empty_result_is_said_plainly(as_marketer, book):
    page = as_marketer.post(COUNT, posted(("lifecycle", "is", "prospect")), **HTMX)
    assert "No one matches yet." in page.content.decode()


def test_a_bad_value_shows_its_sentence_instead_of_a_count(as_marketer, book):
    page = as_marketer.post(COUNT, posted(("created", "within", "-4")), **HTMX).content.decode()
    assert "Fix these to see a count" in page
    assert "“Created within the last” needs a number from 1 to 3650." in page


def test_the_count_runs_a_fixed_number_of_queries(
    as_marketer, book, member, django_assert_max_num_queries
):
    data = posted(("owner", "is", str(member.pk)), ("email", "has", ""))
    # Session, user, catalog, the counts (and on PostgreSQL the JIT switch), the preview.
    with django_assert_max_num_queries(10):
        as_marketer.post(COUNT, data, **HTMX)
    for n in range(12):
        records.create_contact(
            actor=member, client=book["acme"], name=f"Extra {n}", emails=[f"x{n}@acme.example"]
        )
    with django_assert_max_num_queries(10):
        page = as_marketer.post(COUNT, data, **HTMX).content.decode()
    assert "<strong>13</strong> contacts" in page


def test_the_builder_adds_and_removes_groups_and_conditions(as_marketer, book):
    data = posted(("lifecycle", "is", "lead"))
    page = as_marketer.post(BUILDER, data | {"action": "add-group"}, **HTMX).content.decode()
    assert 'name="g1-c0-field"' in page
    assert 'hx-swap-oob="true"' in page  # the live panel comes along
    page = as_marketer.post(BUILDER, data | {"action": "add-condition-0"}, **HTMX)
    assert 'name="g0-c1-field"' in page.content.decode()
    page = as_marketer.post(BUILDER, data | {"action": "remove-condition-0-0"}, **HTMX)
    assert 'name="g0-c0-field"' not in page.content.decode()
    assert "No conditions in this group yet." in page.content.decode()


def test_changing_the_field_draws_its_operators_and_value_input(as_marketer, book):
    data = posted(("activity", "is", "lead"))  # the operator of the field before
    page = as_marketer.post(BUILDER, data, **HTMX).content.decode()
    assert '<option value="none_for" selected>none for</option>' in page
    assert 'type="number"' in page
    assert ">days<" in page
    page = as_marketer.post(BUILDER, posted(("created", "before", "")), **HTMX).content.decode()
    assert 'type="date"' in page
    page = as_marketer.post(BUILDER, posted(("country", "is", "")), **HTMX).content.decode()
    assert '<option value="NL">Netherlands</option>' in page


# --- Saving, freezing, deleting --------------------------------------------------------------


def test_saving_a_new_segment_and_saving_as_new(as_marketer, book):
    data = posted(("lifecycle", "is", "lead"), name="Leads", description="", submit="save")
    response = as_marketer.post(reverse("marketing:segment_new"), data)
    segment = Segment.objects.get()
    assert response.url == reverse("marketing:segment_detail", args=[segment.pk])
    assert segment.definition["groups"][0]["conditions"] == [
        {"field": "lifecycle", "op": "is", "value": "lead"}
    ]
    detail = reverse("marketing:segment_detail", args=[segment.pk])
    page = as_marketer.get(detail).content.decode()
    assert 'id="segment-form"' in page
    assert 'hx-sync="closest form:replace"' in page

    data = posted(("country", "is", "DE"), name="German leads", submit="save-new")
    as_marketer.post(detail, data)
    assert set(Segment.objects.values_list("name", flat=True)) == {"Leads", "German leads"}
    segment.refresh_from_db()
    assert segment.definition["groups"][0]["conditions"][0]["field"] == "lifecycle"


def test_an_invalid_save_keeps_what_was_typed(as_marketer, book):
    data = posted(("lifecycle", "is", "lead"), ("tags", "any", ""), name="Half done")
    response = as_marketer.post(reverse("marketing:segment_new"), data | {"submit": "save"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Group 1, condition 2: “Tags has any of” needs 1 to 20 tags" in page
    assert 'value="Half done"' in page
    assert 'name="g0-c1-field"' in page
    assert not Segment.objects.exists()


def test_freeze_and_delete_from_the_builder(as_marketer, marketer, book):
    segment = services.create_segment(actor=marketer, name="Leads", definition=LEADS)
    response = as_marketer.post(reverse("marketing:segment_freeze", args=[segment.pk]))
    frozen = Segment.objects.get(kind="static")
    assert response.url == reverse("marketing:segment_detail", args=[frozen.pk])
    page = as_marketer.get(response.url).content.decode()
    assert "its members stay as they were" in page
    assert 'id="segment-form"' not in page  # a static list has no builder

    Campaign.objects.create(name="Now sending", segment=segment, status="sending")
    response = as_marketer.post(reverse("marketing:segment_delete", args=[segment.pk]))
    assert Segment.objects.filter(pk=segment.pk).exists()
    assert "“Now sending”" in str(list(get_messages(response.wsgi_request))[-1])

    as_marketer.post(reverse("marketing:segment_delete", args=[frozen.pk]))
    assert not Segment.objects.filter(pk=frozen.pk).exists()


# --- Sales: read-only -------------------------------------------------------------------------


def test_sales_sees_a_segment_read_only_and_cannot_change_it(as_member, marketer, book):
    segment = services.create_segment(actor=marketer, name="Leads", definition=LEADS)
    detail = reverse("marketing:segment_detail", args=[segment.pk])
    page = as_member.get(detail).content.decode()
    assert "Lifecycle is Lead" in page
    assert "the marketing team changes it" in page
    assert 'id="segment-form"' not in page
    assert "<strong>1</strong> client" in page

    assert as_member.get(reverse("marketing:segment_new")).status_code == 403
    data = posted(("country", "is", "NL"), name="Mine", submit="save")
    assert as_member.post(detail, data).status_code == 403
    assert as_member.post(reverse("marketing:segment_new"), data).status_code == 403
    assert as_member.post(reverse("marketing:segment_freeze", args=[segment.pk])).status_code == 403
    assert as_member.post(reverse("marketing:segment_delete", args=[segment.pk])).status_code == 403
    segment.refresh_from_db()
    assert segment.name == "Leads"
    assert Segment.objects.count() == 1

    page = as_member.get(reverse("marketing:segment_list")).content.decode()
    assert "Leads" in page
    assert reverse("marketing:segment_new") not in page


def test_anonymous_people_are_sent_to_sign_in(client, db):
    assert client.get(reverse("marketing:segment_list")).status_code == 302
    assert client.post(COUNT, posted(("lifecycle", "is", "lead"))).status_code == 302


# --- The list of segments ------------------------------------------------------------------


def test_the_list_shows_campaigns_in_fixed_queries_and_counts_each_row(
    as_marketer, marketer, book, django_assert_max_num_queries
):
    def make(n):
        for i in range(n):
            segment = services.create_segment(actor=marketer, name=f"Leads {i}", definition=LEADS)
            Campaign.objects.create(name=f"Campaign {i}", segment=segment, status="draft")

    make(2)
    url = reverse("marketing:segment_list")
    as_marketer.get(url)
    with django_assert_max_num_queries(10) as few:
        as_marketer.get(url)
    make(6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = as_marketer.get(url).content.decode()
    assert "Campaign 5" in page
    segment = Segment.objects.get(name="Leads 5")
    members = reverse("marketing:segment_members", args=[segment.pk])
    assert f'hx-get="{members}" hx-trigger="revealed"' in page

    figures = as_marketer.get(members, **HTMX).content.decode()
    assert f"{reverse('records:client_list')}?segment={segment.pk}" in figures
    assert ">1</a>" in figures and ">2</a>" in figures  # Acme; Jo and Kim


# --- Segments on the client and contact lists ----------------------------------------------


def test_the_segment_filter_on_the_client_and_contact_lists(as_member, marketer, book):
    dynamic = services.create_segment(actor=marketer, name="Leads", definition=LEADS)
    frozen = services.freeze_segment(actor=marketer, segment=dynamic, name="Leads frozen")
    Segment.objects.filter(pk=dynamic.pk).update(
        definition={
            "match": "all",
            "groups": [
                {"match": "all", "conditions": [{"field": "country", "op": "is", "value": "DE"}]}
            ],
        }
    )
    clients = reverse("records:client_list")
    contacts = reverse("records:contact_list")

    page = as_member.get(f"{clients}?segment={dynamic.pk}").content.decode()
    assert "Acme" in page and "Gamma" in page and "Beta" not in page
    page = as_member.get(f"{clients}?segment={frozen.pk}").content.decode()
    assert "Acme" in page and "Gamma" not in page
    page = as_member.get(f"{contacts}?segment={dynamic.pk}").content.decode()
    assert "Jo" in page and "Kim" in page and "Lee" not in page
    page = as_member.get(f"{contacts}?segment={frozen.pk}").content.decode()
    assert "Kim" in page and "Lee" not in page
    # The filter's select names every segment.
    assert f'<option value="{frozen.pk}"' in page

    page = as_member.get(f"{clients}?segment=999999").content.decode()
    assert "Segment: there is no segment “999999”." in page


def test_the_segment_filter_keeps_the_list_query_count(
    as_member, marketer, book, django_assert_max_num_queries
):
    from tests.records.queries import count_queries

    dynamic = services.create_segment(actor=marketer, name="Leads", definition=LEADS)
    clients = reverse("records:client_list")
    plain = count_queries(as_member, clients)
    filtered = count_queries(as_member, f"{clients}?segment={dynamic.pk}")
    assert filtered <= plain + 2  # the segment itself, and the catalog
