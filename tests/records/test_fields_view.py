"""Click-to-edit of one field: editor, save, conflict, invalid input, refusal; live values."""

import pytest
from django.urls import reverse

from records import services
from records.models import CustomField
from tests.factories import UserFactory
from tests.live_helpers import capture_events
from tests.records.xss import PAYLOADS, live_markup

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def edit_url(model, pk, field):
    return reverse("records:field_edit", args=[model, pk, field])


@pytest.fixture
def signed_in(client, member):
    client.force_login(member)
    return client


def test_editor_has_input_and_baseline(signed_in, acme):
    response = signed_in.get(edit_url("client", acme.pk, "domain"), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="field-client-{acme.pk}-domain"' in html
    assert 'name="value" value="acme.example"' in html
    assert 'name="seen_value" value="acme.example"' in html


def test_choice_editor_marks_the_current_value(signed_in, acme):
    html = signed_in.get(edit_url("client", acme.pk, "lifecycle"), **HTMX).content.decode()
    assert '<option value="lead" selected>Lead</option>' in html


def test_people_picker_lists_active_people(client, acme, member, sales_manager):
    gone = UserFactory(full_name="Gone Person", is_active=False)
    client.force_login(sales_manager)
    html = client.get(edit_url("client", acme.pk, "owner"), **HTMX).content.decode()
    assert f'<option value="{member.pk}" selected>{member}</option>' in html
    assert f'<option value="{sales_manager.pk}">' in html
    assert str(gone) not in html


def test_ticket_contact_picker_lists_the_clients_contacts(client, ticket, contact, admin):
    other = services.create_client(actor=admin, name="Other")
    services.create_contact(actor=admin, client=other, name="Not Theirs")
    client.force_login(admin)
    html = client.get(edit_url("ticket", ticket.pk, "contact"), **HTMX).content.decode()
    assert '<option value="" selected>—</option>' in html
    assert f'<option value="{contact.pk}">Jo Acme</option>' in html
    assert "Not Theirs" not in html


def test_save_returns_display_and_publishes_value(signed_in, acme):
    with capture_events() as events:
        response = signed_in.post(
            edit_url("client", acme.pk, "industry"),
            {"value": "Robotics", "seen_value": ""},
            **HTMX,
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="field-client-{acme.pk}-industry-value"' in html
    assert "Robotics" in html
    assert "is-editable" in html
    acme.refresh_from_db()
    assert acme.industry == "Robotics"
    fragment = events[0].html
    assert f'id="field-client-{acme.pk}-industry-value" hx-swap-oob="true"' in fragment
    assert "Robotics" in fragment


def test_tags_are_a_comma_list(signed_in, acme):
    signed_in.post(
        edit_url("client", acme.pk, "tags"), {"value": "Gold, vip ,gold", "seen_value": ""}, **HTMX
    )
    acme.refresh_from_db()
    assert acme.tags == ["gold", "vip"]
    html = signed_in.get(edit_url("client", acme.pk, "tags"), **HTMX).content.decode()
    assert 'value="gold, vip"' in html


def test_conflict_shows_their_value_and_name_then_use_mine(signed_in, acme, sales_manager):
    services.update_field(
        actor=sales_manager, obj=acme, field="industry", value="Mining", seen_value=""
    )
    response = signed_in.post(
        edit_url("client", acme.pk, "industry"), {"value": "Robotics", "seen_value": ""}, **HTMX
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert f"{sales_manager.full_name}</strong> changed Industry to <strong>Mining" in html
    assert "Keep theirs" in html and "Use mine" in html
    assert 'name="seen_value" value="Mining"' in html
    assert 'name="value" value="Robotics"' in html
    acme.refresh_from_db()
    assert acme.industry == "Mining"
    # "Use mine" re-submits with their value as the baseline.
    response = signed_in.post(
        edit_url("client", acme.pk, "industry"),
        {"value": "Robotics", "seen_value": "Mining"},
        **HTMX,
    )
    assert response.status_code == 200
    acme.refresh_from_db()
    assert acme.industry == "Robotics"


def test_different_fields_never_conflict(signed_in, acme, sales_manager):
    services.update_field(actor=sales_manager, obj=acme, field="industry", value="X", seen_value="")
    response = signed_in.post(
        edit_url("client", acme.pk, "phone"), {"value": "+49 30 1234567", "seen_value": ""}, **HTMX
    )
    assert response.status_code == 200


def test_invalid_value_shows_error_and_saves_nothing(signed_in, acme):
    with capture_events(0):
        response = signed_in.post(
            edit_url("client", acme.pk, "domain"),
            {"value": "https://bad domain/", "seen_value": "acme.example"},
            **HTMX,
        )
    assert response.status_code == 422
    html = response.content.decode()
    assert "invalid-feedback" in html and "Enter a domain like example.com" in html
    acme.refresh_from_db()
    assert acme.domain == "acme.example"


def test_custom_field_type_mismatch(signed_in, acme):
    CustomField.objects.create(key="seats", label="Seats", type="number")
    url = edit_url("client", acme.pk, "custom.seats")
    response = signed_in.post(url, {"value": "many", "seen_value": ""}, **HTMX)
    assert response.status_code == 422
    assert "Seats must be a number" in response.content.decode()
    assert signed_in.post(url, {"value": "12", "seen_value": ""}, **HTMX).status_code == 200
    acme.refresh_from_db()
    assert acme.custom_values == {"seats": 12}


def test_forbidden_editor_and_save_are_403_with_reason(client, acme, support_member):
    client.force_login(support_member)
    response = client.get(edit_url("client", acme.pk, "owner"), **HTMX)
    assert response.status_code == 403
    assert "You cannot change owner of this client." in response.content.decode()
    response = client.post(
        edit_url("client", acme.pk, "industry"), {"value": "X", "seen_value": ""}, **HTMX
    )
    assert response.status_code == 403
    acme.refresh_from_db()
    assert acme.industry == ""


def test_viewer_without_right_sees_value_without_edit_affordance(client, acme, support_member):
    client.force_login(support_member)
    html = client.get(reverse("records:client_detail", args=[acme.pk])).content.decode()
    assert f'id="field-client-{acme.pk}-domain-value"' in html
    assert edit_url("client", acme.pk, "domain") not in html


@pytest.mark.parametrize(
    ("model", "field"), [("client", "archived"), ("client", "nope"), ("widget", "name")]
)
def test_fields_not_editable_here_are_404(signed_in, acme, model, field):
    assert signed_in.get(edit_url(model, acme.pk, field), **HTMX).status_code == 404


def test_missing_record_is_404(signed_in):
    assert signed_in.get(edit_url("client", 999999, "name"), **HTMX).status_code == 404


def test_contact_and_deal_fields(signed_in, contact, deal):
    response = signed_in.post(
        edit_url("contact", contact.pk, "emails"),
        {"value": "a@x.example, not-an-email", "seen_value": "jo@acme.example"},
        **HTMX,
    )
    assert response.status_code == 422
    assert "is not an email address" in response.content.decode()
    response = signed_in.post(
        edit_url("deal", deal.pk, "amount"), {"value": "-5", "seen_value": "1000.00"}, **HTMX
    )
    assert response.status_code == 422
    assert "An amount cannot be negative." in response.content.decode()
    with capture_events() as events:
        signed_in.post(
            edit_url("deal", deal.pk, "amount"), {"value": "2500", "seen_value": "1000"}, **HTMX
        )
    assert f'id="field-deal-{deal.pk}-amount-value"' in events[0].html
    assert "2,500.00 EUR" in events[0].html


def test_plain_post_redirects_to_the_page(signed_in, acme):
    response = signed_in.post(
        edit_url("client", acme.pk, "industry"), {"value": "Retail", "seen_value": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("records:client_detail", args=[acme.pk])


def test_the_display_carries_what_its_editor_opens_with(signed_in, acme, member):
    """records.js builds the input from these before the server's editor arrives."""
    page = signed_in.get(reverse("records:client_detail", args=[acme.pk])).content.decode()
    edit = edit_url("client", acme.pk, "owner")
    assert f'data-field-edit="{edit}?layout=stack" data-field-input="select"' in page
    assert f'data-raw="{member.pk}" data-text="{member.full_name}"' in page
    assert 'data-field-input="text"' in page and 'data-raw="acme.example">' in page


def test_a_live_value_carries_the_editors_new_starting_value(signed_in, acme, member):
    with capture_events() as events:
        services.update_field(
            actor=member, obj=acme, field="tags", value="Gold, vip", seen_value=""
        )
    assert 'hx-swap-oob="true" data-raw="gold, vip">' in events[0].html


def test_cancel_returns_the_display(signed_in, acme):
    url = reverse("records:field_show", args=["client", acme.pk, "domain"])
    html = signed_in.get(url, **HTMX).content.decode()
    assert 'class="field field-row"' in html and "acme.example" in html


def test_history_lists_changes_per_field(signed_in, acme, member):
    services.update_field(actor=member, obj=acme, field="industry", value="A", seen_value="")
    services.update_field(actor=member, obj=acme, field="phone", value="+4930123456", seen_value="")
    url = reverse("records:history", args=["client", acme.pk])
    html = signed_in.get(url).content.decode()
    assert "Industry" in html and "Phone" in html
    html = signed_in.get(url + "?field=phone").content.decode()
    assert "+4930123456" in html and ">Industry<" not in html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_field_value_renders_inert(signed_in, acme, member, payload):
    with capture_events() as events:
        services.update_field(
            actor=member, obj=acme, field="industry", value=payload, seen_value=""
        )
    assert live_markup(events[0].html) == []  # the value, and the timeline entry
    page = signed_in.get(reverse("records:client_detail", args=[acme.pk])).content.decode()
    field = page[page.index(f'id="field-client-{acme.pk}-industry"') :]
    timeline = page[page.index(f'id="timeline-{acme.pk}-entries"') :]
    assert live_markup(field[: field.index("</div>\n</div>")]) == []
    assert live_markup(timeline[: timeline.index("</ol>")]) == []
