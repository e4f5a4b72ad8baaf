"""List filters (django-filter): the list pages' filters, as query parameters."""

import django_filters as filters

from accounts.models import User
from records.models import Client, Contact, Deal, Ticket


class ClientFilter(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name contains")
    archived = filters.BooleanFilter(help_text="Archived clients (default: only active ones).")
    updated_after = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gt")

    class Meta:
        model = Client
        fields = ["owner", "department", "lifecycle", "size", "country", "source"]


class ContactFilter(filters.FilterSet):
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name contains")
    updated_after = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gt")

    class Meta:
        model = Contact
        fields = ["client", "preferred_channel"]


class DealFilter(filters.FilterSet):
    q = filters.CharFilter(field_name="title", lookup_expr="icontains", label="Title contains")
    updated_after = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gt")

    class Meta:
        model = Deal
        fields = ["client", "owner", "pipeline", "stage", "status", "currency"]


class TicketFilter(filters.FilterSet):
    q = filters.CharFilter(field_name="subject", lookup_expr="icontains", label="Subject contains")
    updated_after = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gt")

    class Meta:
        model = Ticket
        fields = ["client", "assignee", "status", "priority", "channel"]


class PersonFilter(filters.FilterSet):
    q = filters.CharFilter(field_name="full_name", lookup_expr="icontains", label="Name contains")

    class Meta:
        model = User
        fields = ["role", "departments"]
