"""Handoffs over the API: send one, accept or decline it, through records' services."""

import django_filters as filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action

from accounts.models import Department
from integrations.api.base import ApiViewSet, StrictSerializer
from integrations.api.serializers import (
    ACTIVE_PEOPLE,
    ClientField,
    DepartmentField,
    OptionalPersonField,
    PersonField,
)
from records import policies, services
from records.models import Client, Deal, Handoff, Ticket

ERRORS = {
    400: OpenApiResponse(description="Bad input, named per field."),
    403: OpenApiResponse(description="Not yours to answer (the reason)."),
    404: OpenApiResponse(description="No such handoff."),
    409: OpenApiResponse(description="Answered meanwhile: by whom and when."),
}


class HandoffSerializer(serializers.ModelSerializer):
    client = ClientField()
    from_user = PersonField()
    to_department = DepartmentField()
    to_user = OptionalPersonField()

    class Meta:
        model = Handoff
        fields = [
            "id",
            "client",
            "ticket",
            "deal",
            "from_user",
            "from_department",
            "to_department",
            "to_user",
            "note",
            "status",
            "decline_reason",
            "answered_by",
            "answered_at",
            "task",
            "created_at",
        ]
        read_only_fields = fields


class HandoffSend(StrictSerializer):
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.all())
    note = serializers.CharField()
    to_department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    to_user = serializers.PrimaryKeyRelatedField(queryset=ACTIVE_PEOPLE, required=False)
    ticket = serializers.PrimaryKeyRelatedField(queryset=Ticket.objects.all(), required=False)
    deal = serializers.PrimaryKeyRelatedField(queryset=Deal.objects.all(), required=False)


class HandoffAccept(StrictSerializer):
    assignee = serializers.PrimaryKeyRelatedField(queryset=ACTIVE_PEOPLE, required=False)
    take_ownership = serializers.BooleanField(default=False)


class HandoffDecline(StrictSerializer):
    reason = serializers.CharField()


class HandoffFilter(filters.FilterSet):
    class Meta:
        model = Handoff
        fields = ["status", "client", "to_department", "to_user", "from_user"]


@extend_schema(tags=["handoffs"])
class HandoffViewSet(mixins.ListModelMixin, ApiViewSet):
    scope_area = "handoffs"
    serializer_class = HandoffSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = HandoffFilter
    expandable = ("client", "from_user", "to_department", "to_user")

    def get_queryset(self):
        return Handoff.objects.select_related("client", "from_user", "to_department", "to_user")

    def get_object(self):
        return policies.access_handoff(self.request.user, self.kwargs["pk"])

    @extend_schema(responses={200: HandoffSerializer, 404: ERRORS[404]})
    def retrieve(self, request, pk=None):
        return self.read(self.get_object())

    @extend_schema(request=HandoffSend, responses={201: HandoffSerializer} | ERRORS)
    def create(self, request):
        handoff = services.hand_off(actor=request.user, **self.parse(HandoffSend))
        return self.read(handoff, status.HTTP_201_CREATED)

    @extend_schema(request=HandoffAccept, responses={200: HandoffSerializer} | ERRORS)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept: a task for the assignee (default: you); optionally take the client over."""
        data = self.parse(HandoffAccept)
        services.accept_handoff(actor=request.user, handoff=self.get_object(), **data)
        return self.read(self.get_object())

    @extend_schema(request=HandoffDecline, responses={200: HandoffSerializer} | ERRORS)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """Decline, with the reason the sender reads."""
        reason = self.parse(HandoffDecline)["reason"]
        services.decline_handoff(actor=request.user, handoff=self.get_object(), reason=reason)
        return self.read(self.get_object())
