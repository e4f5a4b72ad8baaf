"""submit_form and routing: create vs update, every rule, what people are told, abuse."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from accounts.models import Notification, Role
from chat.models import Message
from marketing.models import (
    Attribution,
    Consent,
    RoundRobinTurn,
    RoutingRule,
    Submission,
    Suppression,
    Touch,
)
from marketing.routing import next_in_turn
from marketing.services import forms as form_services
from marketing.services import submissions
from records import services as records
from records.models import Client, Contact, Task, TimelineEntry
from tests.factories import DepartmentFactory, UserFactory
from tests.live_helpers import capture_events
from tests.marketing.forms_helpers import FIELDS, build_form, lead
from tests.races import second_waits_for_first

Kind = RoutingRule.Kind


@pytest.fixture
def webform(marketer, sales, member):
    return build_form(marketer, sales, member)


def submit(form, **values):
    return submissions.submit_form(
        form=form,
        data=lead(**values),
        utm_source="google",
        utm_medium="cpc",
        utm_campaign="spring",
        referrer="https://www.example.com/pricing",
    )


# --- Create vs update ---------------------------------------------------------------


def test_a_new_lead_creates_client_and_contact_owned_by_the_fallback(webform, member, sales):
    submission = submit(webform, phone="+49 30 1234567", country="DE", industry="Retail")

    client, contact = submission.client, submission.contact
    assert (client.name, client.domain, client.country, client.industry) == (
        "Globex",
        "globex.example",
        "DE",
        "Retail",
    )
    assert client.lifecycle == Client.Lifecycle.LEAD and client.source == Client.Source.WEB_FORM
    assert client.owner == member and client.department == sales
    assert contact.emails == ["rita@globex.example"] and contact.phones == ["+49301234567"]
    assert submission.routed_to == member and submission.rule is None
    assert (submission.utm_source, submission.utm_medium, submission.utm_campaign) == (
        "google",
        "cpc",
        "spring",
    )


def test_an_existing_contact_is_matched_by_email_and_blank_fields_only_filled(
    webform, member, acme
):
    contact = records.create_contact(
        actor=member, client=acme, name="Jo Acme", emails=["jo@acme.example"], title="CTO"
    )
    records.update_field(actor=member, obj=acme, field="industry", value="Steel", seen_value="")
    before = Client.objects.count(), Contact.objects.count()

    submission = submit(
        webform,
        name="Somebody Else",
        email="JO@acme.example",
        company="Other name",
        industry="Retail",
        country="AT",
        phone="+43 1 234567",
    )

    assert (Client.objects.count(), Contact.objects.count()) == before
    assert submission.contact == contact and submission.client == acme
    acme.refresh_from_db()
    contact.refresh_from_db()
    assert acme.name == "Acme GmbH" and acme.industry == "Steel"  # never overwritten
    assert acme.country == "AT"  # was blank: filled
    assert contact.name == "Jo Acme" and contact.title == "CTO"
    assert contact.phones == ["+431234567"]  # E.164 (issue 19)
    entry = TimelineEntry.objects.get(client=acme, kind=TimelineEntry.Kind.WEB_FORM)
    assert "filled in country" in entry.summary


def test_an_existing_client_is_matched_by_the_email_domain(webform, acme):
    submission = submit(webform, email="new.person@acme.example", company="ACME")
    assert submission.client == acme
    assert submission.contact.client == acme and submission.contact.name == "Rita Lead"


def test_a_free_mail_address_never_matches_a_client_by_domain(webform, member):
    records.create_client(actor=member, name="Gmail fan club", domain="gmail.com")
    submission = submit(webform, email="rita@gmail.com", company="")
    assert submission.client.name == "Rita Lead" and submission.client.domain == ""


# --- Routing ------------------------------------------------------------------------


def test_existing_owner_rule_sends_a_known_client_to_its_owner(marketer, sales, acme, member):
    other = UserFactory(departments=[sales])
    form = build_form(marketer, sales, other, rules=[{"kind": Kind.EXISTING_OWNER}])
    submission = submit(form, email="boss@acme.example")
    assert submission.routed_to == member and submission.rule.kind == Kind.EXISTING_OWNER
    fresh = submit(form, email="x@initech.example", company="Initech")
    assert fresh.routed_to == other and fresh.rule is None


def test_country_and_industry_rules_route_to_the_named_person(marketer, sales, member):
    dach, retail = UserFactory(departments=[sales]), UserFactory(departments=[sales])
    form = build_form(
        marketer,
        sales,
        member,
        rules=[
            {"kind": Kind.COUNTRY, "value": "de", "owner": dach},
            {"kind": Kind.INDUSTRY, "value": "Retail ", "owner": retail},
        ],
    )
    assert submit(form, email="a@one.example", country="DE").routed_to == dach
    assert submit(form, email="b@two.example", industry="retail").routed_to == retail
    assert submit(form, email="c@three.example", country="FR").routed_to == member


def test_a_rule_to_someone_of_another_team_puts_the_new_client_in_their_team(
    marketer, sales, member, support
):
    helper = UserFactory(departments=[support])
    form = build_form(
        marketer, sales, member, rules=[{"kind": Kind.COUNTRY, "value": "FR", "owner": helper}]
    )
    submission = submit(form, country="FR")
    assert submission.client.owner == helper and submission.client.department == support


def test_a_fallback_owner_who_left_hands_over_to_an_admin(marketer, sales, member):
    form = build_form(marketer, sales, member)
    member.is_active = False
    member.save(update_fields=["is_active"])
    admin = UserFactory(role=Role.ADMIN, departments=[sales])
    assert submit(form).routed_to == admin


def test_round_robin_takes_fair_turns_among_active_members(marketer, sales, member):
    team = DepartmentFactory(name="Inbound", slug="inbound")
    ann, bob, cid = (UserFactory(departments=[team]) for _ in range(3))
    UserFactory(departments=[team], is_active=False)
    form = build_form(
        marketer, sales, member, rules=[{"kind": Kind.ROUND_ROBIN, "department": team}]
    )
    owners = [submit(form, email=f"p{n}@c{n}.example").routed_to for n in range(7)]
    assert owners == [ann, bob, cid, ann, bob, cid, ann]
    assert RoundRobinTurn.objects.get(department=team).last_user == ann


@pytest.mark.backend
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs a server database: SQLite's in-memory test database is one connection",
)
@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_once_never_get_the_same_turn():
    """The turn row is locked while choosing: the second waits, then takes the next person."""
    team = DepartmentFactory(name="Inbound", slug="inbound")
    ann, bob = (UserFactory(departments=[team]) for _ in range(2))
    next_in_turn(team.pk)  # the row exists, Ann had the last turn
    first, second = second_waits_for_first(
        lambda: next_in_turn(team.pk), lambda: next_in_turn(team.pk)
    )
    assert (first, second) == (bob, ann)


# --- What people are told -----------------------------------------------------------


def test_owner_gets_notification_task_chat_line_and_the_timeline_an_entry(webform, member):
    submission = submit(webform)
    client = submission.client

    note = Notification.objects.get(recipient=member, kind="web-form-lead")
    assert "Contact us" in note.text and "Rita Lead" in note.text
    task = Task.objects.get(assignee=member, client=client)
    assert task.due_at is not None and "Rita Lead" in task.title
    line = Message.objects.get(room__client=client, kind=Message.Kind.SYSTEM)
    assert "Contact us" in line.body and str(member) in line.body
    entry = TimelineEntry.objects.get(client=client, kind=TimelineEntry.Kind.WEB_FORM)
    assert "Contact us" in entry.summary and "source google" in entry.summary
    assert "campaign spring" in entry.summary and entry.body == "We need 40 seats."
    assert entry.actor is None


def test_a_submission_publishes_the_lead_live_and_spam_publishes_nothing(webform, member):
    with capture_events() as events:
        submission = submit(webform)
    client = submission.client
    published = {(event.kind, event.topic) for event in events}
    assert ("client.created", "list.clients") in published  # Sales' open client list
    assert ("notification.added", f"user.{member.pk}") in published  # the owner's bell
    assert ("web_form.submitted", f"client.{client.pk}") in published
    assert {"contact.created", "task.created", "chat.message.posted"} <= {e.kind for e in events}
    entry = next(event for event in events if event.kind == "web_form.submitted")
    assert "got in touch via web form" in entry.html
    with capture_events(0):
        submit(webform, homepage="bot")
        with pytest.raises(ValidationError):
            submit(webform, email="bad")


def test_consent_recorded_only_when_ticked(webform):
    submit(webform, email="no@box.example")
    assert not Consent.objects.filter(email="no@box.example").exists()
    submit(webform, email="yes@box.example", consent="on")
    consent = Consent.objects.get(email="yes@box.example")
    assert consent.text == "Send me product news." and consent.source == Consent.Source.FORM


def test_ticking_the_box_again_lifts_the_persons_own_unsubscribe_not_a_bounce(webform):
    Suppression.objects.create(email="back@box.example", reason=Suppression.Reason.UNSUBSCRIBED)
    Suppression.objects.create(email="gone@box.example", reason=Suppression.Reason.BOUNCED)

    submit(webform, email="back@box.example", consent="on")
    submit(webform, email="gone@box.example", consent="on")

    assert list(Suppression.objects.values_list("email", flat=True)) == ["gone@box.example"]


def test_the_contact_gets_a_form_touch_new_or_existing(webform):
    first = submit(webform)
    touch = Touch.objects.get(contact=first.contact)
    assert touch.channel == Touch.Channel.FORM and touch.form == webform
    assert touch.utm_campaign == "spring"
    again = submit(webform)
    assert again.contact == first.contact
    assert Touch.objects.filter(contact=first.contact, channel=Touch.Channel.FORM).count() == 2
    attribution = Attribution.objects.get(contact=first.contact)
    assert attribution.first == touch and attribution.latest != touch


# --- Bad input and abuse ------------------------------------------------------------


def test_bad_email_and_country_are_refused_with_the_reason(webform):
    with pytest.raises(ValidationError) as refused:
        submit(webform, email="not an email", country="XX")
    errors = refused.value.message_dict
    assert errors["email"] == ["Enter an email address like ana@example.com."]
    assert errors["country"] == ["Pick a country from the list."]
    assert not Submission.objects.exists() and not Client.objects.filter(name="Globex").exists()


def test_overlong_values_are_refused(webform):
    with pytest.raises(ValidationError) as refused:
        submit(webform, message="x" * 5001, company="y" * 201)
    assert set(refused.value.message_dict) == {"message", "company"}


def test_a_filled_honeypot_stores_nothing(webform):
    assert submit(webform, homepage="http://spam.example") is None
    assert not Submission.objects.exists() and not Client.objects.exists()


@pytest.mark.backend
def test_rate_limit_per_address(webform, settings):
    settings.MARKETING_FORM_RATE_PER_HOUR = 2
    for n in range(2):
        submissions.submit_form(form=webform, data=lead(email=f"r{n}@x{n}.example"), ip="10.9.9.9")
    with pytest.raises(submissions.TooManySubmissions):
        submissions.submit_form(form=webform, data=lead(email="r3@x3.example"), ip="10.9.9.9")
    assert Submission.objects.count() == 2
    submissions.submit_form(form=webform, data=lead(email="r4@x4.example"), ip="10.9.9.10")


def test_scripts_stay_text_in_notification_chat_and_timeline(webform, member):
    script = "<script>alert(1)</script>"
    submission = submit(webform, name=f"Eve {script}", company=f"Evil {script}", message=script)
    entry = TimelineEntry.objects.get(client=submission.client, kind=TimelineEntry.Kind.WEB_FORM)
    assert "<script>" not in entry.body_html and "&lt;script&gt;" in entry.body_html
    line = Message.objects.get(room__client=submission.client, kind=Message.Kind.SYSTEM)
    assert "<script>" not in line.body_html and "&lt;script&gt;" in line.body_html


# --- Building -----------------------------------------------------------------------


def test_only_marketing_builds_forms(member, sales):
    with pytest.raises(PermissionDenied):
        build_form(member, sales, member)


def test_form_needs_a_required_email_and_https_origins(marketer, sales, member):
    with pytest.raises(ValidationError) as refused:
        form_services.create_form(
            actor=marketer, name="X", department=sales, fallback_owner=member, fields=FIELDS[:1]
        )
    assert "email" in refused.value.messages[0]
    for bad in (
        "http://www.example.com",
        "https://www.example.com/path",
        "example.com",
        "https://*",
    ):
        with pytest.raises(ValidationError) as refused:
            build_form(marketer, sales, member, allowed_origins=bad)
        assert "is not an https origin" in refused.value.message_dict["allowed_origins"][0]
    form = build_form(marketer, sales, member, allowed_origins="HTTPS://Www.Example.com/\n\n")
    assert form.allowed_origins == "https://www.example.com"


def test_update_keeps_rules_given_by_id(marketer, sales, member):
    form = build_form(marketer, sales, member, rules=[{"kind": Kind.EXISTING_OWNER}])
    kept = form.rules.get()
    form_services.update_form(
        actor=marketer,
        form=form,
        name="Renamed",
        department=sales,
        fallback_owner=member,
        fields=FIELDS,
        rules=[
            {"kind": Kind.ROUND_ROBIN, "department": sales},
            {"id": kept.pk, "kind": Kind.EXISTING_OWNER},
        ],
    )
    rules = list(form.rules.all())
    assert [rule.kind for rule in rules] == [Kind.ROUND_ROBIN, Kind.EXISTING_OWNER]
    assert rules[1].pk == kept.pk


def test_an_admin_builds_forms_too(sales, member):
    admin = UserFactory(role=Role.ADMIN, departments=[sales])
    assert build_form(admin, sales, member).pk
