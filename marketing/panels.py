"""The client page's marketing panel: where the client came from, and each contact's
standing for marketing email (consent, unsubscribed, bounced).

Registered with records' client-page panels (records/client_panels.py). The
panel is the same for every viewer (its buttons are refused with a reason to
those who may not edit the client), so a consent recorded in one tab is pushed
to every open tab of the client as one fragment.
"""

from django.db.models import OuterRef, Q, Subquery
from django.db.models.fields.json import KT
from django.template.loader import render_to_string

from marketing.models import Consent, Suppression, Touch, normalize_email
from records import client_panels
from records.models import Client, Contact

PANEL_TEMPLATE = "marketing/client/panel.html"


def first_email(contact: Contact) -> str:
    return normalize_email(contact.emails[0]) if contact.emails else ""


def standings(client: Client) -> list[Contact]:
    """``client``'s contacts, each with its first address's ``consent_text`` and
    ``suppressed`` reason (None when absent), in one query."""
    consent = Consent.objects.filter(email=OuterRef("email")).values("text")[:1]
    suppression = Suppression.objects.filter(email=OuterRef("email")).values("reason")[:1]
    contacts = Contact.objects.filter(client=client).annotate(email=KT("emails__0"))
    rows = list(
        contacts.annotate(
            consent_text=Subquery(consent), suppressed=Subquery(suppression)
        ).order_by("name", "pk")
    )
    reasons = dict(Suppression.Reason.choices)
    for row in rows:
        row.suppressed_label = reasons.get(row.suppressed, "")
    return rows


def sources(client: Client) -> tuple[Touch | None, Touch | None]:
    """The client's first touch and its latest one (the same when there is one): one query."""
    touches = Touch.objects.filter(client=client)
    ends = Q(pk=Subquery(touches.order_by("created_at", "pk").values("pk")[:1])) | Q(
        pk=Subquery(touches.order_by("-created_at", "-pk").values("pk")[:1])
    )
    found = list(
        Touch.objects.filter(ends).select_related("form", "campaign").order_by("created_at", "pk")
    )
    return (found[0], found[-1]) if found else (None, None)


def panel_context(client: Client, oob: bool = False) -> dict:
    first, latest = sources(client)
    return {
        "client": client,
        "first": first,
        "latest": latest if latest != first else None,
        "standings": standings(client),
        "oob": oob,
    }


def panel_html(client: Client) -> str:
    """The panel as pushed live: swapped in place by its id."""
    return render_to_string(f"{PANEL_TEMPLATE}#panel", panel_context(client, oob=True))


def client_panel(user, client: Client) -> dict:
    return panel_context(client)


def load() -> None:
    client_panels.register(template=f"{PANEL_TEMPLATE}#panel", context=client_panel, order=20)
