"""Calendar events over the API: the events one is part of, and answering invitations.

Reads go through ``calendar_app.policies.access_event``: someone else's
private event is a 404 here as on its page (its title never leaves the server).
"""

from django.db.models import Prefetch, Q
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action

from calendar_app import policies as calendar_policies
from calendar_app import services as calendar_services
from calendar_app.models import Attendee, Event
from integrations.api.base import ApiViewSet, StrictSerializer
from integrations.api.serializers import PersonField

ANSWERS = [
    Attendee.Response.ACCEPTED,
    Attendee.Response.TENTATIVE,
    Attendee.Response.DECLINED,
]


class AttendeeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attendee
        fields = ["user", "name", "email", "response"]
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer):
    organizer = PersonField()
    attendees = AttendeeSerializer(many=True, read_only=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "uid",
            "title",
            "description",
            "location",
            "video_url",
            "start",
            "end",
            "all_day",
            "timezone",
            "rrule",
            "visibility",
            "status",
            "organizer",
            "client",
            "deal",
            "attendees",
        ]
        read_only_fields = fields


class Rsvp(StrictSerializer):
    response = serializers.ChoiceField(choices=[(a.value, a.label) for a in ANSWERS])


@extend_schema(tags=["calendar"])
class EventViewSet(mixins.ListModelMixin, ApiViewSet):
    # Events the user organizes or is invited to (a series is one row, not expanded).

    scope_area = "calendar"
    serializer_class = EventSerializer
    expandable = ("organizer",)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no user
            return Event.objects.none()
        user = self.request.user
        mine = Event.objects.filter(Q(organizer=user) | Q(attendees__user=user)).values("pk")
        return (
            Event.objects.filter(pk__in=mine)
            .select_related("organizer")
            .prefetch_related(Prefetch("attendees", queryset=Attendee.objects.order_by("pk")))
        )

    @extend_schema(
        responses={200: EventSerializer, 404: OpenApiResponse(description="No such event.")}
    )
    def retrieve(self, request, pk=None):
        return self.read(calendar_policies.access_event(request.user, pk))

    @extend_schema(
        request=Rsvp,
        responses={
            200: EventSerializer,
            400: OpenApiResponse(description="Not an answer."),
            403: OpenApiResponse(description="Not invited."),
            404: OpenApiResponse(description="No such event."),
        },
    )
    @action(detail=True, methods=["post"])
    def rsvp(self, request, pk=None):
        """Answer an invitation: accepted, tentative or declined."""
        event = calendar_policies.access_event(request.user, pk)
        answer = self.parse(Rsvp)["response"]
        calendar_services.rsvp(actor=request.user, event=event, response=answer)
        return self.read(calendar_policies.access_event(request.user, pk))
