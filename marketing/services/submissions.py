"""Web-to-lead forms: taking their submissions (anyone, anonymously).

**Who acts when a visitor submits.** Records' services need a person who may make
each write, and an anonymous visitor is not one. So the person answerable for the
client acts for them: its owner — for a new client, the routed owner, who becomes its
owner (``_writer``). The policy checks still hold, the audit rows name someone who
can answer for the data, and the timeline's ``web_form`` entry (actor: nobody) says
the data came "via web form <name>". The routed owner gives themselves the follow-up
task (anyone may), and is notified with ``actor=None`` — ``notify`` skips a person's
own actions, and this one is not theirs.

**A new client's team** is the form's department when its owner belongs to it (or is
an admin); a rule may route to someone of another team (round-robin in another
department, a named owner), and then the client joins the owner's first department —
records lets a person add clients only to their own team, and an owner must be able
to work their client.

**What a submission may change.** It never overwrites what staff typed: an existing
client or contact only gets its *blank* fields filled (``update_field``, conflict
checked), and keeps its owner — the routed person gets the task and the notification.
"""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, linebreaks

from accounts.models import Department, Role, User
from accounts.services import notify
from marketing.attribution import attributing, record_touch
from marketing.models import (
    Consent,
    Submission,
    Suppression,
    Touch,
    WebForm,
    normalize_email,
)
from marketing.routing import route
from marketing.web_forms import (
    CUSTOM_PREFIX,
    EMAIL,
    HONEYPOT,
    MESSAGE,
    LeadForm,
)
from records import events
from records import policies as records_policies
from records import services as records
from records.models import Client, Contact, TimelineEntry
from records.selectors.duplicates import client_duplicates, contact_duplicates, normalize_domain
from records.services.chat_lines import literal, tell_client_room
from records.timeline import add_entry

# Addresses at these domains say nothing about the company: never matched by domain.
FREE_MAIL_DOMAINS = frozenset(
    [
        "aol.com",
        "gmail.com",
        "googlemail.com",
        "gmx.de",
        "gmx.net",
        "hotmail.com",
        "icloud.com",
        "live.com",
        "mail.com",
        "mail.ru",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "web.de",
        "yahoo.com",
        "yandex.ru",
    ]
)
LEAD_TASK_DUE = timedelta(hours=4)
RATE_WINDOW = 3600


class TooManySubmissions(Exception):
    """This address sent more than ``MARKETING_FORM_RATE_PER_HOUR`` submissions this hour."""


# --- Taking submissions -------------------------------------------------------------


def admit(ip: str) -> None:
    """Count one submission from ``ip``; TooManySubmissions past the hourly limit.

    A fixed one-hour window per address in the cache (shared by every process when
    the cache is Redis). Every attempt counts, spam and mistakes included.
    """
    if not ip:
        return
    key = f"marketing:form-rate:{ip}"
    cache.add(key, 0, RATE_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_WINDOW)
        count = 1
    if count > settings.MARKETING_FORM_RATE_PER_HOUR:
        raise TooManySubmissions(
            "Too many submissions from your network in the last hour. Please try again later."
        )


def submit_form(
    *,
    form: WebForm,
    data,
    ip: str = "",
    utm_source: str = "",
    utm_medium: str = "",
    utm_campaign: str = "",
    referrer: str = "",
) -> Submission | None:
    """Take one submission of ``form`` (``data``: the posted values by input name).

    Abuse first: ``ip`` is counted against the hourly limit (TooManySubmissions; a
    blank ``ip`` is a trusted caller, not limited); a filled honeypot returns None
    and stores nothing (the visitor is shown success all the same). Then strict
    validation (ValidationError by input name, nothing written).

    In one transaction: the contact is matched by email, else the client by the
    website's or the email's domain (not a free-mail one), else both are created (a
    lead from the web form, in the form's team); the rules pick the owner; consent is
    recorded when the box was ticked; the client's timeline gets a ``web_form`` entry
    with the UTM tags and the message; the owner is notified and gets a follow-up
    task, and the client's chat room a line; the contact gets a "form" touch.
    """
    admit(ip)
    if not form.active:
        raise ValidationError("This form is closed.")
    if (data.get(HONEYPOT) or "").strip():
        return None
    lead = LeadForm(form, data)
    if not lead.is_valid():
        raise ValidationError({name: list(errors) for name, errors in lead.errors.items()})
    values = lead.values_by_target()
    tags = {
        "utm_source": _tag(utm_source),
        "utm_medium": _tag(utm_medium),
        "utm_campaign": _tag(utm_campaign),
    }
    with transaction.atomic():
        intake = _Intake(form=form, values=values, tags=tags)
        intake.match()
        owner, rule = route(form, intake.client, values)
        intake.write(owner)
        if lead.consented:
            _record_consent(intake.email, form)
        submission = Submission.objects.create(
            form=form,
            data=lead.submitted(),
            contact=intake.contact,
            client=intake.client,
            routed_to=owner,
            rule=rule,
            referrer=_referrer(referrer),
            **tags,
        )
        _tell(submission, intake, owner)
    return submission


def _tag(value: str) -> str:
    return " ".join(str(value or "").split())[:100]


def _referrer(value: str) -> str:
    value = (value or "").strip()
    if len(value) > 500 or urlsplit(value).scheme not in ("http", "https"):
        return ""
    return value


class _Intake:
    """The contact and client a submission is about: found, or created, then completed."""

    def __init__(self, *, form: WebForm, values: dict, tags: dict):
        self.form = form
        self.values = values
        self.tags = tags
        self.email = normalize_email(values[EMAIL])
        self.contact: Contact | None = None
        self.client: Client | None = None
        self.new_client = False
        self.new_contact = False
        self.filled: list[str] = []

    def match(self) -> None:
        """The contact with this email, else the client at the company's domain."""
        hints = contact_duplicates(client=None, emails=[self.email])
        for hint in hints:
            if hint.record.client.merged_into_id is None:
                self.contact = Contact.objects.select_related("client__owner").get(
                    pk=hint.record.pk
                )
                self.client = self.contact.client
                return
        domain = self.company_domain
        if domain:
            hints = client_duplicates(domain=domain)
            same = [
                hint for hint in hints if any(r.startswith("same domain") for r in hint.reasons)
            ]
            if same:
                self.client = Client.objects.select_related("owner").get(pk=same[0].record.pk)

    @property
    def company_domain(self) -> str:
        if self.values.get("client.domain"):
            return self.values["client.domain"]
        domain = normalize_domain(self.email)
        return "" if domain in FREE_MAIL_DOMAINS else domain

    def write(self, owner: User) -> None:
        touch = {"form": self.form, **self.tags}
        with attributing(Touch.Channel.FORM, **touch):
            if self.client is None:
                self.client = self._create_client(owner)
                self.new_client = True
            writer = _writer(self.client, owner)
            if self.contact is None:
                self.contact = records.create_contact(
                    actor=writer, client=self.client, **self._contact_fields()
                )
                self.new_contact = True
            else:
                record_touch(contact=self.contact, channel=Touch.Channel.FORM, **touch)
        if not self.new_client:
            self._fill_client(writer)
        if not self.new_contact:
            self._fill_contact(writer)

    def _create_client(self, owner: User) -> Client:
        values = self.values
        fields = {
            key.removeprefix("client."): values[key]
            for key in ("client.industry", "client.country", "client.size", "client.phone")
            if values.get(key)
        }
        custom = self._custom_values()
        if custom:
            fields["custom_values"] = custom
        return records.create_client(
            actor=owner,
            owner=owner,
            name=values.get("client.name") or self.company_domain or self._person_name(),
            department=_team(self.form, owner),
            domain=self.company_domain,
            lifecycle=Client.Lifecycle.LEAD,
            source=Client.Source.WEB_FORM,
            **fields,
        )

    def _custom_values(self) -> dict:
        return {
            key.removeprefix(CUSTOM_PREFIX): value
            for key, value in self.values.items()
            if key.startswith(CUSTOM_PREFIX)
        }

    def _person_name(self) -> str:
        values = self.values
        joined = " ".join(
            part
            for part in (values.get("contact.first_name"), values.get("contact.last_name"))
            if part
        )
        return values.get("contact.name") or joined or self.email.split("@", 1)[0]

    def _contact_fields(self) -> dict:
        phone = self.values.get("contact.phone")
        return {
            "name": self._person_name()[:150],
            "emails": [self.email],
            "phones": [phone] if phone else [],
            "title": self.values.get("contact.title", ""),
        }

    def _fill_client(self, writer: User) -> None:
        blanks = {
            "domain": self.company_domain,
            "industry": self.values.get("client.industry"),
            "country": self.values.get("client.country"),
            "size": self.values.get("client.size"),
            "phone": self.values.get("client.phone"),
        }
        blanks.update({f"custom.{key}": value for key, value in self._custom_values().items()})
        for field, value in blanks.items():
            current = _stored(self.client, field)
            if value and current in (None, ""):
                self._fill(writer, self.client, field, value, seen=current)

    def _fill_contact(self, writer: User) -> None:
        phone = self.values.get("contact.phone")
        if phone and not self.contact.phones:
            self._fill(writer, self.contact, "phones", [phone], seen=[])
        title = self.values.get("contact.title")
        if title and not self.contact.title:
            self._fill(writer, self.contact, "title", title, seen="")

    def _fill(self, writer: User, obj, field: str, value, *, seen) -> None:
        """Fill one blank field; a value records refuses (a taken domain…) is skipped, the
        submission is still taken (it is on the timeline entry)."""
        try:
            with transaction.atomic():
                saved = records.update_field(
                    actor=writer, obj=obj, field=field, value=value, seen_value=seen
                )
        except ValidationError:
            return
        attribute = "custom_values" if field.startswith("custom.") else field
        setattr(obj, attribute, getattr(saved, attribute))
        self.filled.append(field.removeprefix("custom."))


def _stored(client: Client, field: str):
    if field.startswith("custom."):
        return client.custom_values.get(field.removeprefix("custom."))
    return getattr(client, field)


def _team(form: WebForm, owner: User) -> Department:
    if owner.is_admin or owner.departments.filter(pk=form.department_id).exists():
        return form.department
    return owner.departments.order_by("pk").first() or form.department


def _writer(client: Client, owner: User) -> User:
    """Who makes records' writes for a visitor: the first of the client's owner, the
    routed owner and an active admin who may edit the client (an owner may have left)."""
    admins = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk")
    for person in (client.owner, owner, *admins[:1]):
        if records_policies.can_edit_client(person, client):
            return person
    raise ValidationError("Nobody may take this submission in; ask an admin to check the form.")


def _record_consent(email: str, form: WebForm) -> Consent:
    """The address agreed to the form's consent text now (a later agreement replaces an
    earlier one's text and time: what they agreed to last is what holds).

    The person ticking the box themselves lifts their own earlier unsubscribe (they
    opt in again); a bounced address stays suppressed: the mailbox did not exist."""
    Suppression.objects.filter(email=email, reason=Suppression.Reason.UNSUBSCRIBED).delete()
    consent, _ = Consent.objects.update_or_create(
        email=email,
        defaults={
            "text": form.consent_text[:500],
            "source": Consent.Source.FORM,
            "granted_at": timezone.now(),
            "recorded_by": None,
        },
    )
    return consent


def _tell(submission: Submission, intake: _Intake, owner: User) -> None:
    """Timeline entry, live event, task, notification and chat line of a submission."""
    form, client, contact = submission.form, intake.client, intake.contact
    entry = _timeline_entry(submission, intake)
    events.publish(
        [events.client_topic(client.pk)],
        "web_form.submitted",
        {"id": client.pk, "form": form.pk, "submission": submission.pk, "timeline": entry.pk},
    )
    client_url = reverse("records:client_detail", args=[client.pk])
    task = records.create_task(
        actor=owner,
        assignee=owner,
        title=f"Answer the web form lead: {contact} ({form.name})"[:200],
        description=f"{contact} <{intake.email}> sent “{form.name}”. Get back to them soon.",
        due_at=timezone.now() + LEAD_TASK_DUE,
        target=client,
    )
    news = "A new lead" if intake.new_client else "A lead"
    notify(
        recipient=owner,
        kind="web-form-lead",
        text=f"{news} from web form {form.name}: {contact} at {client}. Task: {task}",
        link=client_url,
    )
    tell_client_room(
        client,
        literal(
            f"Web form “{form.name}”: {contact} ({intake.email}) got in touch; routed to {owner}."
        ),
    )


def _timeline_entry(submission: Submission, intake: _Intake) -> TimelineEntry:
    form = submission.form
    tags = " / ".join(
        f"{name} {value}"
        for name, value in (
            ("source", submission.utm_source),
            ("medium", submission.utm_medium),
            ("campaign", submission.utm_campaign),
        )
        if value
    )
    summary = f"{intake.contact} got in touch via web form “{form.name}”"
    if tags:
        summary += f" (UTM {tags})"
    if intake.filled:
        summary += f"; filled in {', '.join(intake.filled)}"
    message = intake.values.get(MESSAGE, "")
    return add_entry(
        actor=None,
        client_id=intake.client.pk,
        kind=TimelineEntry.Kind.WEB_FORM,
        summary=summary,
        body=message,
        body_html=linebreaks(escape(message)) if message else "",  # text, never HTML
        data={
            "form": form.pk,
            "submission": submission.pk,
            "contact": intake.contact.pk,
            "utm_source": submission.utm_source,
            "utm_medium": submission.utm_medium,
            "utm_campaign": submission.utm_campaign,
        },
    )
