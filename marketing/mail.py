"""A campaign's email: merge fields checked and filled in, Markdown, layout, footer, tracking.

* **Merge fields** are Django-template variables (``{{ contact.first_name }}``)
  limited to ``MERGE_FIELDS`` and the filters of ``MERGE_FILTERS``; any other
  variable, filter or tag is an error ``check_content`` names, and a campaign
  with errors is neither scheduled nor prepared. Rendering double-checks: an
  unknown variable renders as a marker that raises, so a field never reaches a
  sent mail as a blank.
* **Values are substituted escaped, then the Markdown is rendered**
  (``workspace.text.render_markdown``): a contact named ``*Bob* <b>`` is shown
  as typed, never as emphasis or markup.
* **Tracking**: for a recipient, each link of the body that is one of the
  campaign's links (``CampaignLink``, recorded when it is prepared) points to a
  signed click URL, an open pixel is appended, and the footer carries the
  recipient's signed unsubscribe link. A preview or test send keeps plain links.
* Links get the campaign's UTM parameters when it has a ``utm_campaign``.
"""

import html
import re
from email.utils import parseaddr
from typing import NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django import template
from django.conf import settings
from django.template import Context, Engine, TemplateSyntaxError, defaultfilters
from django.template.base import FilterExpression, Lexer, Parser, TokenType, Variable
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from marketing import tracking
from workspace.text import render_markdown

MERGE_FIELDS = {
    "contact.first_name": "The contact's first name",
    "contact.last_name": "The contact's last name (all but the first word of the name)",
    "contact.name": "The contact's full name",
    "contact.title": "The contact's job title",
    "contact.email": "The address the email goes to",
    "client.name": "The client (company) name",
    "client.industry": "The client's industry",
    "client.country": "The client's country, by name",
    "owner.name": "The name of the client's owner (their account manager)",
    "owner.email": "The email address of the client's owner",
}
MERGE_FILTERS = ("default", "upper", "lower", "title")
LAYOUT_TEMPLATES = "marketing/email/{layout}.html"
SAMPLE_VALUES = {
    "contact": {
        "first_name": "Alex",
        "last_name": "Example",
        "name": "Alex Example",
        "title": "Head of Operations",
        "email": "alex@example.com",
    },
    "client": {"name": "Example Ltd", "industry": "Software", "country": "Germany"},
    "owner": {"name": "Your account manager", "email": "owner@example.com"},
}
# What an unknown variable renders as; render_message refuses a message holding it.
UNKNOWN_MARK = "\x00unknown-merge-field\x00"
MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")
HREF = re.compile(r'href="([^"]*)"')

register = template.Library()
for _name in MERGE_FILTERS:
    register.filter(_name, getattr(defaultfilters, _name))

_engine = Engine(builtins=["marketing.mail"], libraries={}, string_if_invalid=UNKNOWN_MARK)


class RenderedMessage(NamedTuple):
    subject: str
    html: str
    text: str


# --- Checking -----------------------------------------------------------------------


def check_content(*, subject: str, body: str) -> list[str]:
    """The errors a person must fix in a campaign's subject and body before it can be sent:
    template syntax, and each unknown merge field, filter or tag named. Empty when fine."""
    return _errors(subject or "", "Subject") + _errors(body or "", "Body")


def _errors(source: str, where: str) -> list[str]:
    errors = []
    for token in Lexer(source).tokenize():
        at = f"{where}, line {token.lineno}" if where == "Body" else where
        if token.token_type == TokenType.BLOCK:
            errors.append(
                f"{at}: “{{% {token.contents} %}}” is not allowed. Only merge fields such as "
                "{{ contact.first_name }} can be used."
            )
        elif token.token_type == TokenType.VAR:
            errors.extend(f"{at}: {error}" for error in _field_errors(token.contents))
    return errors


def _field_errors(contents: str) -> list[str]:
    if not contents.strip():
        return ["“{{ }}” is empty. Name a merge field inside it, e.g. {{ contact.first_name }}."]
    parser = Parser([], builtins=[register])
    try:
        expression = FilterExpression(contents, parser)
    except TemplateSyntaxError as error:
        return [f"“{{{{ {contents} }}}}” cannot be read ({_filter_hint(error)})."]
    variables = [expression.var] + [arg for _f, args in expression.filters for _l, arg in args]
    return [
        f"“{variable.var}” is not a merge field. Use one of: {', '.join(MERGE_FIELDS)}."
        for variable in variables
        if isinstance(variable, Variable) and variable.lookups and not _known(variable)
    ]


def _known(variable: Variable) -> bool:
    return ".".join(variable.lookups) in MERGE_FIELDS


def _filter_hint(error: TemplateSyntaxError) -> str:
    message = str(error)
    if message.startswith("Invalid filter"):
        return f"{message.rstrip('.')}; the filters are {', '.join(MERGE_FILTERS)}"
    return message.rstrip(".")


# --- Rendering ----------------------------------------------------------------------


def render_message(*, campaign, recipient=None, contact=None) -> RenderedMessage:
    """The campaign's email for ``recipient`` (tracked links, open pixel, its own
    unsubscribe link) or, without one, a preview for ``contact`` (or sample values) with
    plain links. Merge values are escaped before the Markdown is rendered.

    Raises ValueError when the content has an unknown merge field (check_content first).
    """
    if recipient is not None:
        values = merge_values(contact=recipient.contact, client=recipient.client)
        values["contact"]["email"] = recipient.email
    elif contact is not None:
        values = merge_values(contact=contact, client=contact.client)
    else:
        values = {group: dict(fields) for group, fields in SAMPLE_VALUES.items()}
    subject = _merge(campaign.subject, values, markdown=False)
    body_html = with_utm(render_markdown(_merge(campaign.body, values, markdown=True)), campaign)
    unsubscribe_url = ""
    if recipient is not None:
        body_html = _track_links(body_html, recipient)
        unsubscribe_url = tracking.unsubscribe_url(recipient)
    context = {
        "campaign": campaign,
        "subject": subject,
        "preheader": _merge(campaign.preheader, values, markdown=False),
        "body": SafeString(body_html),
        "sender": parseaddr(settings.MARKETING_FROM_EMAIL)[0] or "Workspace",
        "unsubscribe_url": unsubscribe_url,
        "open_pixel_url": tracking.open_url(recipient) if recipient is not None else "",
    }
    layout = LAYOUT_TEMPLATES.format(layout=campaign.layout)
    text_context = context | {"body": _merge(campaign.body, values, markdown=False)}
    return RenderedMessage(
        subject=subject,
        html=render_to_string(layout, context),
        text=render_to_string("marketing/email/message.txt", text_context),
    )


def subject_for(recipient) -> str:
    """The campaign's subject as ``recipient`` got it (merge fields filled in)."""
    values = merge_values(contact=recipient.contact, client=recipient.client)
    return _merge(recipient.campaign.subject, values, markdown=False)


def merge_values(*, contact, client) -> dict:
    """The merge fields' values for ``contact`` of ``client`` (either may be None)."""
    name = contact.name if contact else ""
    first, _, last = name.partition(" ")
    owner = client.owner if client else None
    return {
        "contact": {
            "first_name": first,
            "last_name": last,
            "name": name,
            "title": contact.title if contact else "",
            "email": (contact.emails or [""])[0] if contact else "",
        },
        "client": {
            "name": client.name if client else "",
            "industry": client.industry if client else "",
            "country": client.get_country_display() if client and client.country else "",
        },
        "owner": {
            "name": owner.get_full_name() if owner else "",
            "email": owner.email if owner else "",
        },
    }


def _merge(source: str, values: dict, *, markdown: bool) -> str:
    """``source`` with its merge fields filled in: as typed (plain text: a subject, the
    text part) or, for Markdown, each value escaped so that it reads as typed (HTML and
    Markdown characters alike)."""
    if markdown:
        values = {
            group: {key: _markdown_literal(value) for key, value in fields.items()}
            for group, fields in values.items()
        }
    rendered = _engine.from_string(source).render(Context(values, autoescape=False))
    if UNKNOWN_MARK in rendered:
        raise ValueError("The campaign uses an unknown merge field; check_content names it.")
    return str.__str__(rendered)  # plain text, not marked safe: the layout escapes it


def _markdown_literal(value: str) -> SafeString:
    """A merge value as Markdown source showing it as typed: Markdown's characters
    backslash-escaped, then HTML's escaped (marked safe so the template adds nothing)."""
    return SafeString(html.escape(MARKDOWN_SPECIALS.sub(r"\\\1", value or "")))


def with_utm(body_html: str, campaign) -> str:
    """Every http(s) link of the body carrying the campaign's UTM parameters (if any)."""
    if not campaign.utm_campaign:
        return body_html
    return HREF.sub(
        lambda m: f'href="{html.escape(utm_url(html.unescape(m[1]), campaign))}"', body_html
    )


def utm_url(url: str, campaign) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return url
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.startswith("utm_")
    ]
    query += [
        ("utm_source", "workspace"),
        ("utm_medium", "email"),
        ("utm_campaign", campaign.utm_campaign),
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def links_of(body_html: str) -> list[str]:
    """The distinct http(s) links of a rendered body, in order of appearance."""
    urls = (html.unescape(match) for match in HREF.findall(body_html))
    return list(dict.fromkeys(url for url in urls if urlsplit(url).scheme in ("http", "https")))


def campaign_links(campaign) -> list[str]:
    """The links the campaign's body holds (rendered with sample values), to record."""
    values = {group: dict(fields) for group, fields in SAMPLE_VALUES.items()}
    return links_of(
        with_utm(render_markdown(_merge(campaign.body, values, markdown=True)), campaign)
    )


def _track_links(body_html: str, recipient) -> str:
    """The body with each of the campaign's links sent through its signed click URL; a
    link that is not one of them (one a merge value made) stays as it is."""
    link_ids = {link.url: link.pk for link in recipient.campaign.links.all()}

    def tracked(match) -> str:
        link_id = link_ids.get(html.unescape(match[1]))
        if link_id is None:
            return match[0]
        return f'href="{html.escape(tracking.click_url(recipient, link_id))}"'

    return HREF.sub(tracked, body_html)
