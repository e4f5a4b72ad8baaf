"""Comments on clients, deals and tickets over the API, through records' policies and services.

A list names its record (``?client=``, ``?deal=`` or ``?ticket=``), which is
looked up through the records policies first: a record one may not see is a 404.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, status

from integrations.api.base import ApiViewSet, StrictSerializer
from integrations.api.serializers import OptionalPersonField
from records import policies, services
from records.models import Comment

DELETED = "This comment was deleted."
# The records a comment hangs on, and how each is looked up (404 for missing and forbidden).
TARGETS = {
    "client": policies.access_client,
    "deal": policies.access_deal,
    "ticket": policies.access_ticket,
}


class CommentSerializer(serializers.ModelSerializer):
    author = OptionalPersonField()
    body = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = [
            "id",
            "author",
            "client",
            "deal",
            "ticket",
            "parent",
            "body",
            "created_at",
            "edited_at",
            "deleted_at",
        ]
        read_only_fields = fields

    def get_body(self, comment) -> str:
        return DELETED if comment.deleted_at else comment.body


class CommentPost(StrictSerializer):
    client = serializers.IntegerField(required=False)
    deal = serializers.IntegerField(required=False)
    ticket = serializers.IntegerField(required=False)
    body = serializers.CharField()
    parent = serializers.IntegerField(required=False, help_text="The comment this replies to.")
    send_id = serializers.CharField(
        required=False, help_text="Your own id for this post: a retry never posts twice."
    )


def one_target(user, values: dict):
    """The one record named in ``values`` (client, deal or ticket), through its policy."""
    named = [name for name in TARGETS if values.get(name) not in (None, "")]
    if len(named) != 1:
        raise exceptions.ValidationError(
            {"detail": ["Name exactly one of client, deal or ticket."]}
        )
    return named[0], TARGETS[named[0]](user, values[named[0]])


@extend_schema(tags=["comments"])
class CommentViewSet(mixins.ListModelMixin, ApiViewSet):
    scope_area = "comments"
    serializer_class = CommentSerializer
    expandable = ("author",)
    list_parameters = frozenset(TARGETS)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Comment.objects.none()
        name, target = one_target(self.request.user, self.request.query_params)
        return Comment.objects.filter(**{name: target}).select_related("author")

    @extend_schema(
        parameters=[OpenApiParameter(name, int) for name in TARGETS]
        + [OpenApiParameter("expand", str, description="author")],
        responses={
            200: CommentSerializer(many=True),
            404: OpenApiResponse(description="No such record."),
        },
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=CommentPost,
        responses={
            201: CommentSerializer,
            400: OpenApiResponse(description="Empty, too long, or not exactly one record."),
            404: OpenApiResponse(description="No such record."),
        },
    )
    def create(self, request):
        data = self.parse(CommentPost)
        _, target = one_target(request.user, data)
        parent = data.get("parent")
        if parent is not None:
            parent = Comment.objects.filter(pk=parent).first()
            if parent is None:
                raise exceptions.ValidationError({"parent": ["No such comment."]})
        comment = services.post_comment(
            actor=request.user,
            target=target,
            body=data["body"],
            parent=parent,
            send_id=data.get("send_id"),
        )
        return self.read(comment, status.HTTP_201_CREATED)
