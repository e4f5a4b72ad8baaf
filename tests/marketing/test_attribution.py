"""Attribution: every contact and deal keeps its first and latest source."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketing.attribution import attributing, record_touch
from marketing.models import Attribution, Campaign, Touch, WebForm
from records import services

pytestmark = pytest.mark.django_db


def attribution_of(contact) -> tuple[str, str]:
    attribution = Attribution.objects.select_related("first", "latest").get(contact=contact)
    return attribution.first.channel, attribution.latest.channel


def test_a_contact_typed_in_by_staff_is_attributed_to_manual_entry(member, acme):
    contact = services.create_contact(actor=member, client=acme, name="Ada Park")

    assert attribution_of(contact) == ("manual", "manual")


def test_a_contact_created_inside_attributing_takes_that_channel(member, acme, sales):
    form = WebForm.objects.create(name="Demo request", department=sales, fallback_owner=member)

    with attributing(Touch.Channel.FORM, form=form, utm_source="google", utm_medium="cpc"):
        contact = services.create_contact(actor=member, client=acme, name="Ada Park")

    touch = Touch.objects.get(contact=contact)
    assert (touch.channel, touch.form, touch.utm_source, touch.utm_medium) == (
        "form",
        form,
        "google",
        "cpc",
    )


def test_later_touches_move_latest_and_earlier_ones_move_first(member, acme):
    contact = services.create_contact(actor=member, client=acme, name="Ada Park")
    campaign = Campaign.objects.create(name="Spring launch")

    record_touch(contact=contact, channel=Touch.Channel.CAMPAIGN, campaign=campaign)
    assert attribution_of(contact) == ("manual", "campaign")

    record_touch(
        contact=contact,
        channel=Touch.Channel.IMPORT,
        at=timezone.now() - timedelta(days=400),
    )
    assert attribution_of(contact) == ("import", "campaign")


def test_a_utm_campaign_naming_one_of_ours_is_that_campaigns_touch(member, acme):
    contact = services.create_contact(actor=member, client=acme, name="Ada Park")
    campaign = Campaign.objects.create(name="Spring launch", utm_campaign="spring-launch")

    touch = record_touch(contact=contact, channel=Touch.Channel.UTM, utm_campaign="spring-launch")

    assert touch.campaign == campaign


def test_a_deal_takes_its_clients_first_and_latest_touch(member, acme, pipeline, stages):
    early = services.create_contact(actor=member, client=acme, name="Ada Park")
    campaign = Campaign.objects.create(name="Spring launch")
    record_touch(contact=early, channel=Touch.Channel.CAMPAIGN, campaign=campaign)

    deal = services.create_deal(actor=member, client=acme, title="Renewal", pipeline=pipeline)

    attribution = Attribution.objects.select_related("first", "latest").get(deal=deal)
    assert (attribution.first.channel, attribution.latest.channel) == ("manual", "campaign")
    assert attribution.latest.campaign == campaign


def test_a_deal_of_a_client_nobody_touched_is_manual(member, acme, pipeline, stages):
    deal = services.create_deal(actor=member, client=acme, title="Renewal", pipeline=pipeline)

    attribution = Attribution.objects.select_related("first").get(deal=deal)
    assert attribution.first.channel == "manual"
    assert attribution.first.contact is None


def test_a_deleted_contact_leaves_the_deals_source_in_place(member, acme, pipeline, stages):
    contact = services.create_contact(actor=member, client=acme, name="Ada Park")
    deal = services.create_deal(actor=member, client=acme, title="Renewal", pipeline=pipeline)

    contact.delete()

    attribution = Attribution.objects.select_related("first").get(deal=deal)
    assert attribution.first.channel == "manual"
