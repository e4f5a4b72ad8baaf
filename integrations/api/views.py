"""The REST resources: records read through the policies, written through the services."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from accounts.models import Department, User
from integrations.api import filters, serializers
from integrations.api.base import ApiViewSet
from records import policies, services
from records.models import Client, Contact, Deal, Ticket

EXPAND = OpenApiParameter(
    "expand", str, description="Comma-separated related objects to include in full."
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    location=OpenApiParameter.HEADER,
    required=True,
    description="The ETag (or quoted `version`) you last read, or * to overwrite.",
)
READ_ERRORS = {
    400: OpenApiResponse(description="Bad input; the body names each field and what is wrong."),
    403: OpenApiResponse(description="Not allowed: the reason, or the scope the token lacks."),
    404: OpenApiResponse(description="No such record, or not one you may see."),
}
ERRORS = READ_ERRORS | {
    409: OpenApiResponse(description="Changed meanwhile: the value now and who set it."),
}
PATCH_ERRORS = ERRORS | {428: OpenApiResponse(description="If-Match is missing.")}


def reads(serializer_class, **more):
    """The schema of an operation answering one ``serializer_class`` record."""
    return extend_schema(
        parameters=[EXPAND], responses={200: serializer_class} | READ_ERRORS, **more
    )


class RecordViewSet(mixins.ListModelMixin, ApiViewSet):
    # List and read one record type; subclasses add the writes through the services.
    # (A comment, not a docstring: the schema would show it on every operation.)

    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ("id", "created_at", "updated_at")

    def get_object(self):
        """The record through its policy lookup: one 404 for missing and forbidden alike."""
        return self.access(self.request.user, self.kwargs["pk"])

    def access(self, user, pk):
        raise NotImplementedError

    @extend_schema(parameters=[EXPAND])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, pk=None):
        return self.read(self.get_object())

    def created(self, obj):
        return self.read(self.access(self.request.user, obj.pk), status.HTTP_201_CREATED)


@extend_schema(tags=["clients"])
class ClientViewSet(RecordViewSet):
    scope_area = "clients"
    serializer_class = serializers.ClientSerializer
    filterset_class = filters.ClientFilter
    ordering_fields = ("id", "name", "created_at", "updated_at")
    expandable = ("owner", "department")

    def get_queryset(self):
        """Like the clients list: merged-away clients never, archived ones on ``?archived=true``."""
        queryset = Client.objects.select_related("owner", "department").filter(
            merged_into__isnull=True
        )
        if "archived" not in self.request.query_params:
            queryset = queryset.filter(archived=False)
        return queryset

    def access(self, user, pk):
        return policies.access_client(user, pk)

    @reads(serializers.ClientSerializer)
    def retrieve(self, request, pk=None):
        return super().retrieve(request, pk)

    @extend_schema(
        request=serializers.ClientFields,
        responses={201: serializers.ClientSerializer} | ERRORS,
    )
    def create(self, request):
        data = self.parse(serializers.ClientFields)
        name = data.pop("name")
        client = services.create_client(actor=request.user, name=name, **data)
        return self.created(client)

    @extend_schema(
        request=serializers.ClientFields,
        parameters=[IF_MATCH],
        responses={200: serializers.ClientSerializer} | PATCH_ERRORS,
    )
    def partial_update(self, request, pk=None):
        return self.patch_fields(self.get_object(), serializers.ClientFields)

    @extend_schema(
        request=serializers.ClientArchive, responses={200: serializers.ClientSerializer} | ERRORS
    )
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        """Archive a client (archived: true) or restore it (archived: false)."""
        archived = self.parse(serializers.ClientArchive)["archived"]
        services.archive_client(actor=request.user, client=self.get_object(), archived=archived)
        return self.read(self.get_object())


@extend_schema(tags=["contacts"])
class ContactViewSet(RecordViewSet):
    scope_area = "clients"
    serializer_class = serializers.ContactSerializer
    filterset_class = filters.ContactFilter
    ordering_fields = ("id", "name", "created_at", "updated_at")
    expandable = ("client",)

    def get_queryset(self):
        return Contact.objects.select_related("client")

    def access(self, user, pk):
        return policies.access_contact(user, pk)

    @reads(serializers.ContactSerializer)
    def retrieve(self, request, pk=None):
        return super().retrieve(request, pk)

    @extend_schema(
        request=serializers.ContactCreate,
        responses={201: serializers.ContactSerializer} | ERRORS,
    )
    def create(self, request):
        data = self.parse(serializers.ContactCreate)
        contact = services.create_contact(actor=request.user, **data)
        return self.created(contact)

    @extend_schema(
        request=serializers.ContactFields,
        parameters=[IF_MATCH],
        responses={200: serializers.ContactSerializer} | PATCH_ERRORS,
    )
    def partial_update(self, request, pk=None):
        return self.patch_fields(self.get_object(), serializers.ContactFields)

    @extend_schema(responses={204: None} | ERRORS)
    def destroy(self, request, pk=None):
        services.delete_contact(actor=request.user, contact=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["deals"])
class DealViewSet(RecordViewSet):
    scope_area = "deals"
    serializer_class = serializers.DealSerializer
    filterset_class = filters.DealFilter
    ordering_fields = ("id", "title", "amount", "expected_close", "created_at", "updated_at")
    expandable = ("client", "owner", "stage")

    def get_queryset(self):
        return Deal.objects.select_related("client", "owner", "stage")

    def access(self, user, pk):
        return policies.access_deal(user, pk)

    @reads(serializers.DealSerializer)
    def retrieve(self, request, pk=None):
        return super().retrieve(request, pk)

    @extend_schema(
        request=serializers.DealCreate, responses={201: serializers.DealSerializer} | ERRORS
    )
    def create(self, request):
        data = self.parse(serializers.DealCreate)
        stage = data.get("stage")
        if stage is not None:
            data["pipeline"] = stage.pipeline
        deal = services.create_deal(actor=request.user, **data)
        return self.created(deal)

    @extend_schema(
        request=serializers.DealFields,
        parameters=[IF_MATCH],
        responses={200: serializers.DealSerializer} | PATCH_ERRORS,
    )
    def partial_update(self, request, pk=None):
        return self.patch_fields(self.get_object(), serializers.DealFields)

    @extend_schema(
        request=serializers.DealMove, responses={200: serializers.DealSerializer} | ERRORS
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the deal to another stage of its pipeline (as on the board)."""
        data = self.parse(serializers.DealMove)
        services.move_deal(actor=request.user, deal=self.get_object(), **data)
        return self.read(self.get_object())

    @extend_schema(
        request=serializers.DealWin, responses={200: serializers.DealSerializer} | ERRORS
    )
    @action(detail=True, methods=["post"])
    def win(self, request, pk=None):
        data = self.parse(serializers.DealWin)
        services.win_deal(actor=request.user, deal=self.get_object(), **data)
        return self.read(self.get_object())

    @extend_schema(
        request=serializers.DealLose, responses={200: serializers.DealSerializer} | ERRORS
    )
    @action(detail=True, methods=["post"])
    def lose(self, request, pk=None):
        data = self.parse(serializers.DealLose)
        services.lose_deal(actor=request.user, deal=self.get_object(), **data)
        return self.read(self.get_object())

    @extend_schema(responses={204: None} | ERRORS)
    def destroy(self, request, pk=None):
        services.delete_deal(actor=request.user, deal=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["tickets"])
class TicketViewSet(RecordViewSet):
    scope_area = "tickets"
    serializer_class = serializers.TicketSerializer
    filterset_class = filters.TicketFilter
    ordering_fields = ("id", "sla_due", "created_at", "updated_at")
    expandable = ("client", "assignee")

    def get_queryset(self):
        return Ticket.objects.select_related("client", "assignee")

    def access(self, user, pk):
        return policies.access_ticket(user, pk)

    @reads(serializers.TicketSerializer)
    def retrieve(self, request, pk=None):
        return super().retrieve(request, pk)

    @extend_schema(
        request=serializers.TicketCreate, responses={201: serializers.TicketSerializer} | ERRORS
    )
    def create(self, request):
        data = self.parse(serializers.TicketCreate)
        ticket = services.create_ticket(actor=request.user, **data)
        return self.created(ticket)

    @extend_schema(
        request=serializers.TicketFields,
        parameters=[IF_MATCH],
        responses={200: serializers.TicketSerializer} | PATCH_ERRORS,
    )
    def partial_update(self, request, pk=None):
        return self.patch_fields(self.get_object(), serializers.TicketFields)

    @extend_schema(
        request=serializers.TicketStatus, responses={200: serializers.TicketSerializer} | ERRORS
    )
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        """Set the ticket's status (new, open, pending, solved, closed), as on its page."""
        new = self.parse(serializers.TicketStatus)["status"]
        services.set_ticket_status(actor=request.user, ticket=self.get_object(), status=new)
        return self.read(self.get_object())


class DirectoryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    # People and departments: read only, like the directory pages.

    scope_area = "people"
    filter_backends = [DjangoFilterBackend, OrderingFilter]


@extend_schema(tags=["people"])
class PersonViewSet(DirectoryViewSet):
    serializer_class = serializers.PersonSerializer
    filterset_class = filters.PersonFilter
    ordering_fields = ("id", "full_name", "email")

    def get_queryset(self):
        return User.objects.filter(is_active=True).prefetch_related("departments")


@extend_schema(tags=["people"])
class DepartmentViewSet(DirectoryViewSet):
    serializer_class = serializers.DepartmentSerializer
    ordering_fields = ("id", "name")

    def get_queryset(self):
        return Department.objects.all()
