"""The demo's marketing: consent, where every contact came from, two sent campaigns with
their results, a draft, the website's forms and their submissions, and segments.

Written in bulk after the client book, for the reasons demo/book.py gives
(generated history, backdated, no live events). Each contact's first touch
follows its client's source (a web-form lead came through the website form,
often from a paid search ad; a campaign lead clicked the spring launch); deals
take their client's first and latest touch, as marketing/attribution.py does
for new ones, so the channels report has a year to show.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Department, User
from demo.history import bulk_insert
from marketing.models import (
    Attribution,
    Campaign,
    CampaignLink,
    Consent,
    Recipient,
    RoutingRule,
    Segment,
    SegmentMember,
    Submission,
    Suppression,
    Touch,
    WebForm,
)
from marketing.segments import contacts_of, validate_definition
from records.models import Client, Contact, Deal, TimelineEntry

MARKETING_SEED = 17
DEMO_FORM = "Website demo request"
CONSENT_SHARE = 0.75
SITE = "https://northwind.example"
# A web-form lead's UTM source and medium (None: typed the address), by weight.
FORM_ARRIVALS = ((("google", "cpc"), 40), (("linkedin", "social"), 25), (None, 35))
SOURCE_UTM = {
    Client.Source.REFERRAL: ("referral", "word-of-mouth"),
    Client.Source.EVENT: ("trade-show", "event"),
    Client.Source.PARTNER: ("partner-portal", "partner"),
}
FORM_FIELDS = [
    {"maps_to": "contact.first_name", "label": "First name", "required": True},
    {"maps_to": "contact.last_name", "label": "Last name", "required": True},
    {"maps_to": "contact.email", "label": "Work email", "required": True},
    {"maps_to": "client.name", "label": "Company", "required": True},
    {"maps_to": "client.domain", "label": "Website", "required": False},
    {"maps_to": "client.country", "label": "Country", "required": False},
    {"maps_to": "message", "label": "How can we help?", "required": False},
]
CAMPAIGNS = (
    # name, days ago sent, cost, utm name, subject, open rate, click rate
    ("Spring product launch", 120, Decimal(1800), "spring-launch",
     "Meet Northwind 5: faster, simpler, yours", 0.46, 0.14),
    ("Customer newsletter: October", 50, Decimal(350), "newsletter-october",
     "{{ contact.first_name|default:\"Hello\" }}, what's new this autumn", 0.38, 0.08),
)  # fmt: skip
BODY = """Hello {{ contact.first_name|default:"there" }},

Northwind 5 is here: shared pipelines, live client timelines and reports that
update while you watch.

[See what's new](https://northwind.example/whats-new)

Questions? Reply to this email or [book a call](https://northwind.example/demo).
"""


@transaction.atomic
def seed_marketing() -> dict[str, int]:
    """Write the demo's marketing once (it is there when the website form is)."""
    if WebForm.objects.filter(name=DEMO_FORM).exists() or not Client.objects.exists():
        return {}
    rng = random.Random(MARKETING_SEED)  # noqa: S311 - repeatable demo data, not secrets
    people = _people()
    form = _demo_form(people)
    campaigns = _campaigns(people)
    contacts = list(Contact.objects.select_related("client").order_by("pk"))
    consents = _consents(rng, contacts)
    touches = _first_touches(rng, contacts, form, campaigns[0])
    sent = sum(_send(rng, campaign, contacts, consents) for campaign in campaigns)
    _attribute_deals()
    submissions = _submissions(rng, form, contacts, touches)
    segments = _segments(people, campaigns[0])
    _draft(people, segments[0])
    return {
        "consents": len(consents),
        "touches": Touch.objects.count(),
        "campaign emails": sent,
        "form submissions": submissions,
        "segments": len(segments),
    }


def _people() -> dict[str, object]:
    marketing = User.objects.filter(departments__slug="marketing", is_active=True).order_by("pk")
    sales = Department.objects.get(slug="sales")
    return {
        "marketer": marketing.first(),
        "sales": sales,
        "rep": User.objects.filter(departments=sales, timezone="Europe/Berlin")
        .order_by("pk")
        .last(),
        "fallback": sales.members.filter(is_active=True).order_by("pk").first(),
    }


def _demo_form(people) -> WebForm:
    form = WebForm.objects.create(
        name=DEMO_FORM,
        title="Book a demo",
        intro="Tell us a little about your team and we will get back to you within a day.",
        fields=FORM_FIELDS,
        consent_text="Send me product news and event invitations. I can unsubscribe at any time.",
        thank_you_message="Thank you! Someone from our team will be in touch within a working day.",
        allowed_origins=SITE,
        department=people["sales"],
        fallback_owner=people["fallback"],
        created_by=people["marketer"],
    )
    RoutingRule.objects.bulk_create(
        [
            RoutingRule(form=form, position=0, kind=RoutingRule.Kind.EXISTING_OWNER),
            RoutingRule(
                form=form, position=1, kind=RoutingRule.Kind.COUNTRY, value="DE",
                owner=people["rep"],
            ),
            RoutingRule(
                form=form, position=2, kind=RoutingRule.Kind.ROUND_ROBIN,
                department=people["sales"],
            ),
        ]
    )  # fmt: skip
    return form


def _campaigns(people) -> list[Campaign]:
    now = timezone.now()
    campaigns = []
    for name, days, cost, utm, subject, *_ in CAMPAIGNS:
        started = now - timedelta(days=days)
        campaign = Campaign.objects.create(
            name=name,
            subject=subject,
            body=BODY,
            layout=Campaign.Layout.NEWSLETTER,
            status=Campaign.Status.SENT,
            cost=cost,
            utm_campaign=utm,
            created_by=people["marketer"],
            created_at=started - timedelta(days=6),
            updated_at=started,
            started_at=started,
            finished_at=started + timedelta(minutes=40),
        )
        CampaignLink.objects.bulk_create(
            [
                CampaignLink(campaign=campaign, url=f"{SITE}/whats-new", position=0),
                CampaignLink(campaign=campaign, url=f"{SITE}/demo", position=1),
            ]
        )
        campaigns.append(campaign)
    return campaigns


def _consents(rng, contacts) -> dict[str, Consent]:
    rows = {}
    for contact in contacts:
        if contact.emails and rng.random() < CONSENT_SHARE and contact.emails[0] not in rows:
            rows[contact.emails[0]] = Consent(
                email=contact.emails[0],
                text="Product news and event invitations.",
                source=Consent.Source.FORM,
                granted_at=contact.created_at,
            )
    bulk_insert(Consent, list(rows.values()))
    return rows


def _first_touches(rng, contacts, form, launch) -> dict[int, Touch]:
    """Each contact's first touch, from its client's source; attributed as first and latest."""
    touches = {}
    for contact in contacts:
        touches[contact.pk] = _touch_for(rng, contact, form, launch)
    bulk_insert(Touch, list(touches.values()))
    bulk_insert(
        Attribution,
        [Attribution(contact_id=pk, first=touch, latest=touch) for pk, touch in touches.items()],
    )
    return touches


def _touch_for(rng, contact: Contact, form, launch) -> Touch:
    touch = Touch(contact=contact, client_id=contact.client_id, created_at=contact.created_at)
    source = contact.client.source
    if source == Client.Source.WEB_FORM:
        touch.channel, touch.form = Touch.Channel.FORM, form
        arrival = rng.choices(*zip(*FORM_ARRIVALS, strict=True))[0]
        if arrival:
            touch.utm_source, touch.utm_medium = arrival
    elif source == Client.Source.CAMPAIGN and contact.created_at > launch.started_at:
        touch.channel, touch.campaign = Touch.Channel.CAMPAIGN, launch
        touch.utm_source, touch.utm_medium = "workspace", "email"
        touch.utm_campaign = launch.utm_campaign
    elif source in SOURCE_UTM:
        touch.channel = Touch.Channel.UTM
        touch.utm_source, touch.utm_medium = SOURCE_UTM[source]
    elif source == Client.Source.IMPORT:
        touch.channel = Touch.Channel.IMPORT
    else:
        touch.channel = Touch.Channel.MANUAL
    return touch


def _send(rng, campaign: Campaign, contacts, consents) -> int:
    """The campaign's recipients (contacts there when it went out), what each did, the
    timeline entries of opens and clicks, and the touches of those who clicked."""
    _, _, _, _, _, open_rate, click_rate = next(c for c in CAMPAIGNS if c[0] == campaign.name)
    sent_at = campaign.started_at
    rows, seen = [], set()
    for contact in contacts:
        email = contact.emails[0] if contact.emails else ""
        if not email or email in seen or contact.created_at > sent_at:
            continue
        seen.add(email)
        rows.append(_recipient(rng, campaign, contact, email, consents, open_rate, click_rate))
    bulk_insert(Recipient, rows)
    _engagement(campaign, [row for row in rows if row.opened_at])
    _suppress(campaign, [row for row in rows if row.bounced_at], Suppression.Reason.BOUNCED)
    return sum(row.state == Recipient.State.SENT for row in rows)


def _recipient(rng, campaign, contact, email, consents, open_rate, click_rate) -> Recipient:
    row = Recipient(campaign=campaign, contact=contact, client_id=contact.client_id, email=email)
    sent_at = campaign.started_at + timedelta(minutes=rng.uniform(0, 40))
    if email not in consents:
        row.state, row.skip_reason = Recipient.State.SKIPPED, Recipient.Skip.NO_CONSENT
        return row
    row.state, row.sent_at = Recipient.State.SENT, sent_at
    roll = rng.random()
    if roll < 0.01:
        row.state, row.sent_at, row.bounced_at = Recipient.State.FAILED, None, sent_at
        row.error = "550 5.1.1 Mailbox unavailable"
    elif roll < open_rate:
        row.opened_at = sent_at + timedelta(hours=rng.uniform(0.2, 40))
        if roll < click_rate:
            row.clicked_at = row.opened_at + timedelta(minutes=rng.uniform(1, 20))
        elif roll > open_rate - 0.01:
            row.unsubscribed_at = row.opened_at + timedelta(minutes=2)
    return row


def _engagement(campaign: Campaign, opened: list[Recipient]) -> None:
    entries, clicks = [], []
    for row in opened:
        entries.append(_entry(row, row.opened_at, f"{row.email} opened “{campaign.subject}”"))
        if row.clicked_at:
            clicked = f"{row.email} clicked a link in “{campaign.subject}”"
            entries.append(_entry(row, row.clicked_at, clicked))
            clicks.append(_click_touch(campaign, row))
    bulk_insert(TimelineEntry, entries)
    _suppress(campaign, [row for row in opened if row.unsubscribed_at], "unsubscribed")
    bulk_insert(Touch, clicks)
    latest = {touch.contact_id: touch for touch in clicks}
    attributions = list(Attribution.objects.filter(contact_id__in=latest))
    for attribution in attributions:
        attribution.latest = latest[attribution.contact_id]
    Attribution.objects.bulk_update(attributions, ["latest"])


def _suppress(campaign: Campaign, rows: list[Recipient], reason: str) -> None:
    Suppression.objects.bulk_create(
        [
            Suppression(
                email=row.email,
                reason=reason,
                campaign=campaign,
                created_at=row.unsubscribed_at or row.bounced_at,
            )
            for row in rows
        ],
        ignore_conflicts=True,
    )


def _entry(row: Recipient, at, summary: str) -> TimelineEntry:
    return TimelineEntry(
        client_id=row.client_id,
        kind=TimelineEntry.Kind.CAMPAIGN,
        summary=summary,
        data={"campaign": row.campaign_id},
        created_at=at,
    )


def _click_touch(campaign: Campaign, row: Recipient) -> Touch:
    return Touch(
        contact_id=row.contact_id,
        client_id=row.client_id,
        channel=Touch.Channel.CAMPAIGN,
        campaign=campaign,
        utm_source="workspace",
        utm_medium="email",
        utm_campaign=campaign.utm_campaign,
        created_at=row.clicked_at,
    )


def _attribute_deals() -> None:
    """Every deal: its client's first touch, and the latest one before it opened."""
    by_client: dict[int, list[Touch]] = {}
    for touch in Touch.objects.order_by("created_at", "pk"):
        by_client.setdefault(touch.client_id, []).append(touch)
    rows = []
    for deal in Deal.objects.only("pk", "client_id", "created_at"):
        touches = by_client.get(deal.client_id)
        if touches:
            before = [t for t in touches if t.created_at <= deal.created_at] or touches[:1]
            rows.append(Attribution(deal=deal, first=touches[0], latest=before[-1]))
    bulk_insert(Attribution, rows)


def _submissions(rng, form: WebForm, contacts, touches) -> int:
    """A submission of the website form for each contact that first came through it."""
    rows = []
    for contact in contacts:
        touch = touches[contact.pk]
        if touch.form_id != form.pk:
            continue
        first, _, last = contact.name.partition(" ")
        rows.append(
            Submission(
                form=form,
                contact=contact,
                client_id=contact.client_id,
                routed_to_id=contact.client.owner_id,
                data={
                    "first_name": first,
                    "last_name": last,
                    "email": contact.emails[0] if contact.emails else "",
                    "company": contact.client.name,
                    "message": rng.choice(MESSAGES),
                },
                utm_source=touch.utm_source,
                utm_medium=touch.utm_medium,
                created_at=touch.created_at,
            )
        )
    bulk_insert(Submission, rows)
    return len(rows)


MESSAGES = (
    "We are 40 people in sales and support and want one place for client history.",
    "Could you show us the live pipeline and the reports?",
    "Looking to replace spreadsheets before our busy season.",
    "Interested in the handoff between support and sales.",
    "",
)


def _segments(people, launch: Campaign) -> list[Segment]:
    """The marketer's saved segments (validated as the builder saves them), and one frozen."""
    rows = [
        Segment(
            name=name,
            description=description,
            definition=validate_definition(definition),
            created_by=people["marketer"],
        )
        for name, description, definition in _segment_definitions(launch)
    ]
    bulk_insert(Segment, rows)
    frozen = Segment.objects.create(
        name="Trade show 2026 list",
        description="Who was on the list when we froze it for the booth follow-up.",
        kind=Segment.Kind.STATIC,
        frozen_from=rows[1],
        frozen_at=timezone.now(),
        created_by=people["marketer"],
    )
    SegmentMember.objects.bulk_create(
        SegmentMember(segment=frozen, client_id=contact.client_id, contact=contact)
        for contact in contacts_of(rows[1])
    )
    return [*rows, frozen]


def _segment_definitions(launch: Campaign) -> list[tuple[str, str, dict]]:
    def every(*conditions) -> dict:
        group = {
            "match": "all",
            "conditions": [dict(zip(("field", "op", "value"), c, strict=True)) for c in conditions],
        }
        return {"match": "all", "groups": [group]}

    return [
        ("Customers who said yes", "Customers whose contacts consented to marketing email.",
         every(("lifecycle", "is", "customer"), ("consent", "given", None))),
        ("Leads in Germany", "For the Berlin event invitations.",
         every(("lifecycle", "is", "lead"), ("country", "is", "DE"))),
        ("Quiet customers", "No activity for 60 days: a reason to write.",
         every(("lifecycle", "is", "customer"), ("activity", "none_for", 60))),
        ("Launch clickers", "Clicked a link in the spring launch email.",
         every(("campaign", "clicked", str(launch.pk)))),
    ]  # fmt: skip


def _draft(people, segment: Segment) -> None:
    Campaign.objects.create(
        segment=segment,
        name="Winter webinar invitation",
        subject="Join us live: running a team on one client picture",
        body=BODY,
        layout=Campaign.Layout.ANNOUNCEMENT,
        cost=Decimal(500),
        utm_campaign="winter-webinar",
        created_by=people["marketer"],
    )
