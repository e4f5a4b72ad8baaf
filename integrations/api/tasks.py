"""Tasks over the API: one's own (assigned to or by one), through records' policies and services."""

import django_filters as filters
from django.db.models import Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter

from integrations.api.base import ApiViewSet, StrictSerializer
from integrations.api.serializers import (
    ACTIVE_PEOPLE,
    OptionalPersonField,
    PersonField,
    VersionedSerializer,
)
from integrations.api.views import IF_MATCH, PATCH_ERRORS
from records import policies, services
from records.models import Task

ERRORS = {
    400: OpenApiResponse(description="Bad input, named per field."),
    403: OpenApiResponse(description="Not allowed (the reason)."),
    404: OpenApiResponse(description="No such task, or not one you may see."),
    409: OpenApiResponse(description="Changed meanwhile: the value now and who set it."),
}
TARGETS = {
    "client": policies.access_client,
    "deal": policies.access_deal,
    "ticket": policies.access_ticket,
}


class TaskSerializer(VersionedSerializer):
    assignee = PersonField()
    assigned_by = OptionalPersonField()

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "description",
            "assignee",
            "assigned_by",
            "due_at",
            "priority",
            "status",
            "client",
            "deal",
            "ticket",
            "recurrence",
            "reminder_minutes",
            "completed_at",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields


class TaskFields(StrictSerializer):
    """What a PATCH may change (update_field's task fields)."""

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, required=False)
    due_at = serializers.DateTimeField(allow_null=True, required=False)
    priority = serializers.CharField(required=False)
    reminder_minutes = serializers.IntegerField(allow_null=True, required=False, min_value=0)
    recurrence = serializers.CharField(required=False)


class TaskCreate(TaskFields):
    assignee = serializers.PrimaryKeyRelatedField(queryset=ACTIVE_PEOPLE, required=False)
    client = serializers.IntegerField(required=False)
    deal = serializers.IntegerField(required=False)
    ticket = serializers.IntegerField(required=False)


class TaskStatus(StrictSerializer):
    status = serializers.ChoiceField(choices=Task.Status.choices)


class TaskFilter(filters.FilterSet):
    class Meta:
        model = Task
        fields = ["status", "priority", "assignee", "client", "deal", "ticket"]


def target_of(user, data: dict):
    """The record a new task is linked to (at most one), through its policy."""
    named = [name for name in TARGETS if data.get(name) is not None]
    if len(named) > 1:
        raise exceptions.ValidationError({"detail": ["Link a task to one record at most."]})
    return TARGETS[named[0]](user, data.pop(named[0])) if named else None


@extend_schema(tags=["tasks"])
class TaskViewSet(mixins.ListModelMixin, ApiViewSet):
    # The tasks assigned to the user or by the user (as the task pages list them).
    scope_area = "tasks"
    serializer_class = TaskSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = TaskFilter
    ordering_fields = ("id", "due_at", "created_at", "updated_at")
    expandable = ("assignee", "assigned_by")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Task.objects.none()
        user = self.request.user
        return Task.objects.filter(Q(assignee=user) | Q(assigned_by=user)).select_related(
            "assignee", "assigned_by"
        )

    def get_object(self):
        return policies.access_task(self.request.user, self.kwargs["pk"])

    @extend_schema(responses={200: TaskSerializer, 404: ERRORS[404]})
    def retrieve(self, request, pk=None):
        return self.read(self.get_object())

    @extend_schema(request=TaskCreate, responses={201: TaskSerializer} | ERRORS)
    def create(self, request):
        data = dict(self.parse(TaskCreate))
        target = target_of(request.user, data)
        task = services.create_task(actor=request.user, target=target, **data)
        return self.read(policies.access_task(request.user, task.pk), status.HTTP_201_CREATED)

    @extend_schema(
        request=TaskFields,
        parameters=[IF_MATCH],
        responses={200: TaskSerializer} | ERRORS | {428: PATCH_ERRORS[428]},
    )
    def partial_update(self, request, pk=None):
        return self.patch_fields(self.get_object(), TaskFields)

    @extend_schema(request=TaskStatus, responses={200: TaskSerializer} | ERRORS)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None):
        """Open, in progress, done or cancelled (done tells whoever assigned it)."""
        new = self.parse(TaskStatus)["status"]
        services.set_task_status(actor=request.user, task=self.get_object(), status=new)
        return self.read(self.get_object())
