"""List filters (django-filter): the list pages' filters, as query parameters."""

from datetime import UTC

import django_filters as filters
from django import forms
from django_filters.fields import IsoDateTimeField

from accounts.models import User
from records.models import Client, Contact, Deal, Ticket


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment, in UTC: ISO allows offsets PostgreSQL refuses (beyond ±15:59),
    so "+18:32" is answered like any other offset, not with a database error."""

    def clean(self, value):
        moment = super().clean(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("That moment is out of range.", code="invalid") from None


class UpdatedAfterFilter(filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField

    def __init__(self, **kwargs):
        super().__init__(field_name="updated_at", lookup_expr="gt", **kwargs)


class ClientFilter(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name contains")
    archived = filters.BooleanFilter(help_text="Archived clients (default: only active ones).")
    updated_after = UpdatedAfterFilter()

    class Meta:
        model = Client
        fields = ["owner", "department", "lifecycle", "size", "country", "source"]


class ContactFilter(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name contains")
    updated_after = UpdatedAfterFilter()

    class Meta:
        model = Contact
        fields = ["client", "preferred_channel"]


class DealFilter(filters.FilterSet):
    q = filters.CharFilter(field_name="title", lookup_expr="icontains", label="Title contains")
    updated_after = UpdatedAfterFilter()

    class Meta:
        model = Deal
        fields = ["client", "owner", "pipeline", "stage", "status", "currency"]


class TicketFilter(filters.FilterSet):
    q = filters.CharFilter(field_name="subject", lookup_expr="icontains", label="Subject contains")
    updated_after = UpdatedAfterFilter()

    class Meta:
        model = Ticket
        fields = ["client", "assignee", "status", "priority", "channel"]


class PersonFilter(filters.FilterSet):
    q = filters.CharFilter(field_name="full_name", lookup_expr="icontains", label="Name contains")

    class Meta:
        model = User
        fields = ["role", "departments"]
