"""Values records keep and the checks on them: tags, phones, emails; constraint helpers."""

import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    EmailValidator,
    RegexValidator,
)
from django.db.models import Q

COMMENT_MAX_LENGTH = 10_000
TAG_MAX_LENGTH = 40
TAGS_MAX = 20
DEFAULT_CURRENCY = getattr(settings, "RECORDS_DEFAULT_CURRENCY", "EUR")

PHONE_RE = re.compile(r"^\+?[0-9(][0-9 ()./-]{3,28}[0-9]$")


def validate_phone(value: str) -> None:
    digits = sum(ch.isdigit() for ch in value)
    if not PHONE_RE.match(value) or not 5 <= digits <= 20:
        raise ValidationError(
            "“%(value)s” is not a phone number. Use digits, spaces and + ( ) - . / "
            "like +49 30 1234567.",
            params={"value": value},
            code="invalid_phone",
        )


def phone_region(country: str | None = None) -> str:
    """The region a national number is read in: ``country`` where phonenumbers knows it
    (a client's ISO code), else ``settings.PHONE_DEFAULT_REGION``."""
    country = (country or "").upper()
    if country in phonenumbers.SUPPORTED_REGIONS:
        return country
    return settings.PHONE_DEFAULT_REGION


def normalize_phone(value: str, region: str | None = None) -> str:
    """``"030 1234567"`` (region DE) → ``"+49301234567"``: the number in E.164, or "" for blank.

    A number with a leading + (or the region's exit code, 00 in Europe) is international,
    anything else is read in ``region`` (see ``phone_region``). The number must be
    *possible* (the right length for its country), not *valid* in phonenumbers' sense: its
    metadata lags new number ranges, and a CRM should not refuse a number the client gave.
    Raises a person-readable ValidationError otherwise.
    """
    value = (value or "").strip()
    if not value:
        return ""
    validate_phone(value)
    try:
        number = phonenumbers.parse(value, phone_region(region))
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise ValidationError(
            "“%(value)s” is not a phone number we can dial. Give the country code "
            "for a number abroad, like +49 30 1234567.",
            params={"value": value},
            code="invalid_phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(value: str) -> str:
    """An E.164 number as people read it (``"+49 30 1234567"``); anything else unchanged."""
    try:
        number = phonenumbers.parse(value or "", None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def validate_tags(tags) -> None:
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ValidationError("Tags must be a list of words.", code="invalid_tags")
    if len(tags) > TAGS_MAX:
        raise ValidationError(f"A client can have at most {TAGS_MAX} tags.", code="too_many_tags")
    for tag in tags:
        if not tag or len(tag) > TAG_MAX_LENGTH:
            raise ValidationError(
                f"A tag is 1 to {TAG_MAX_LENGTH} characters long.", code="invalid_tag"
            )


def normalize_tags(tags) -> list[str]:
    """Lowercase, trimmed, de-duplicated, order kept; a comma-separated string is accepted."""
    if isinstance(tags, str):
        tags = tags.split(",")
    if not isinstance(tags, list | tuple):
        return tags
    seen: list[str] = []
    for tag in tags:
        tag = " ".join(str(tag).split()).lower()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def _validate_list(values, validator, what: str) -> None:
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise ValidationError(f"{what} must be a list.", code="invalid_list")
    if len(values) > 10:
        raise ValidationError(f"At most 10 {what.lower()}.", code="too_many")
    for value in values:
        validator(value)


def validate_emails(values) -> None:
    def check(value):
        # Own code: the JSON field would replace an "invalid" message with its own.
        EmailValidator(message=f"“{value}” is not an email address.", code="invalid_email")(value)

    _validate_list(values, check, "Emails")


def validate_phones(values) -> None:
    _validate_list(values, validate_phone, "Phones")


currency_validator = RegexValidator(
    r"^[A-Z]{3}$", "A currency is a three-letter ISO code such as EUR or USD.", code="currency"
)


def exactly_one_of(names) -> Q:
    """A condition: exactly one of the foreign keys ``names`` is set."""
    condition = Q()
    for name in names:
        condition |= Q(
            **{f"{name}__isnull": False},
            **{f"{other}__isnull": True for other in names if other != name},
        )
    return condition


def at_most_one_of(names) -> Q:
    """A condition: at most one of the foreign keys ``names`` is set."""
    return Q(**{f"{name}__isnull": True for name in names}) | exactly_one_of(names)
