"""Chat over the API: a room's history and posting to it, through chat's policies and services.

A room the token's user may not read is a 404, exactly as the room page
answers (``chat.policies.access_room``).
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination

from chat import policies as chat_policies
from chat import services as chat_services
from chat.models import Message
from integrations.api.base import ApiViewSet, StrictSerializer
from integrations.api.serializers import OptionalPersonField

DELETED = "This message was deleted."


class MessageSerializer(serializers.ModelSerializer):
    author = OptionalPersonField()
    body = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id",
            "room",
            "seq",
            "kind",
            "author",
            "parent",
            "body",
            "reply_count",
            "created_at",
            "edited_at",
            "deleted_at",
        ]
        read_only_fields = fields

    def get_body(self, message) -> str:
        return DELETED if message.deleted_at else message.body


class MessagePage(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = MessageSerializer(many=True)


class MessagePost(StrictSerializer):
    body = serializers.CharField()
    parent = serializers.IntegerField(required=False, help_text="The thread's first message.")
    client_id = serializers.CharField(
        required=False, help_text="Your own id for this send: a retry never posts twice."
    )


class HistoryPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-seq"


@extend_schema(tags=["chat"])
class RoomViewSet(ApiViewSet):
    scope_area = "chat"
    serializer_class = MessageSerializer
    pagination_class = HistoryPagination
    expandable = ("author",)
    queryset = Message.objects.none()

    def _check_query(self, request) -> None:
        """History pages like a list (cursor, page size)."""
        if self.action == "messages" and request.method == "GET":
            self.action = "list"
            try:
                super()._check_query(request)
            finally:
                self.action = "messages"
            return
        super()._check_query(request)

    @extend_schema(
        methods=["GET"],
        parameters=[
            OpenApiParameter("cursor", str, description="From the answer's next or previous."),
            OpenApiParameter("page_size", int, description="Up to 200 (default 50)."),
            OpenApiParameter("expand", str, description="author"),
        ],
        responses={200: MessagePage, 404: OpenApiResponse(description="No such room.")},
    )
    @extend_schema(
        methods=["POST"],
        request=MessagePost,
        responses={
            201: MessageSerializer,
            400: OpenApiResponse(description="Empty, too long, or a bad parent."),
            403: OpenApiResponse(description="Not a member of this room."),
            404: OpenApiResponse(description="No such room."),
            429: OpenApiResponse(description="Sending too fast; see Retry-After."),
        },
    )
    @action(detail=True, methods=["get", "post"])
    def messages(self, request, pk=None):
        """A room's messages, newest first (GET), or post one (POST)."""
        room = chat_policies.access_room(request.user, pk)
        if request.method == "POST":
            data = self.parse(MessagePost)
            message, _ = chat_services.post_message(actor=request.user, room=room, **data)
            return self.read(message, status.HTTP_201_CREATED)
        history = Message.objects.filter(room=room, parent__isnull=True).select_related("author")
        page = self.paginate_queryset(history)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
