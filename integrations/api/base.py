"""What every API view shares: strict input, ``?expand=``, versions (ETag / If-Match)."""

from decimal import Decimal

from django.db import transaction
from django_filters import ModelChoiceFilter, ModelMultipleChoiceFilter
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.response import Response

from records.services import last_change, update_field

# Query parameters any list understands, besides its filters.
LIST_PARAMETERS = frozenset({"cursor", "page_size", "ordering", "expand"})


class StrictSerializer(serializers.Serializer):
    """A request body: fields it does not know (or may not set) are a 400 naming them."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"detail": "Send a JSON object."})
        writable = {name for name, field in self.fields.items() if not field.read_only}
        unknown = sorted(set(data) - writable)
        if unknown:
            raise serializers.ValidationError(
                {name: ["Unknown field; it cannot be set here."] for name in unknown}
            )
        return super().to_internal_value(data)


def version_of(obj) -> str:
    """An opaque version of a record: it changes whenever any of its fields does."""
    return f"{obj.pk}-{int(obj.updated_at.timestamp() * 1_000_000)}"


def etag_of(obj) -> str:
    return f'"{version_of(obj)}"'


class ApiViewSet(viewsets.GenericViewSet):
    """A resource: its ``scope_area``, the ``expand`` names it knows, strict query strings."""

    scope_area = ""
    expandable: tuple[str, ...] = ()
    list_parameters: frozenset[str] = frozenset()  # a list's own query parameters
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._check_query(request)

    def _check_query(self, request) -> None:
        allowed = {"expand"}
        if self.action == "list":
            allowed |= LIST_PARAMETERS
            filterset = getattr(self, "filterset_class", None)
            if filterset is not None:
                allowed |= set(filterset.base_filters)
            allowed |= self.list_parameters
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise exceptions.ValidationError(
                {name: ["Unknown query parameter."] for name in unknown}
            )
        self._check_ids(request)
        wanted = self.expand_names()
        unexpandable = sorted(wanted - set(self.expandable))
        if unexpandable:
            known = ", ".join(self.expandable) or "nothing"
            raise exceptions.ValidationError(
                {"expand": [f"Cannot expand {', '.join(unexpandable)}; expand {known}."]}
            )

    def _check_ids(self, request) -> None:
        """Id filters take ids: a number the database could never hold is a 400, not a 500."""
        filterset = getattr(self, "filterset_class", None)
        if filterset is None or self.action != "list":
            return
        bad = sorted(
            name
            for name, spec in filterset.base_filters.items()
            if isinstance(spec, ID_FILTERS)
            and not all(is_id(value) for value in request.query_params.getlist(name))
        )
        if bad:
            raise exceptions.ValidationError(
                {name: ["Give an id (a whole number)."] for name in bad}
            )

    def expand_names(self) -> set[str]:
        raw = self.request.query_params.get("expand", "")
        return {name.strip() for name in raw.split(",") if name.strip()}

    def get_serializer_context(self):
        return super().get_serializer_context() | {"expand": self.expand_names()}

    def read(self, obj, status_code=status.HTTP_200_OK):
        """``obj`` as the response, with its ETag."""
        response = Response(self.get_serializer(obj).data, status=status_code)
        if hasattr(obj, "updated_at"):
            response["ETag"] = etag_of(obj)
        return response

    def parse(self, serializer_class, **kwargs) -> dict:
        serializer = serializer_class(
            data=self.request.data, context=self.get_serializer_context(), **kwargs
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def patch_fields(self, obj, serializer_class):
        """Apply a PATCH field by field through ``update_field``, if ``If-Match`` is current.

        The ETag names the version the client last saw. A stale one is the
        field editor's conflict: 409 with each sent field's value now and who
        set it; nothing is saved. All fields commit together or not at all.
        """
        changes = self.parse(serializer_class, partial=True)
        seen = self._seen_version(obj)
        if seen is not None and seen != version_of(obj):
            return Response(stale_body(obj, changes), status=status.HTTP_409_CONFLICT)
        with transaction.atomic():
            for field, value in changes.items():
                obj = update_field(
                    actor=self.request.user,
                    obj=obj,
                    field=field,
                    value=value,
                    seen_value=stored_value(obj, field),
                )
        return self.read(self.get_object())

    def _seen_version(self, obj) -> str | None:
        """The version in ``If-Match`` (None for ``*``); 428 without the header."""
        header = self.request.headers.get("If-Match", "").strip()
        if not header:
            raise PreconditionRequired()
        if header == "*":
            return None
        return header.removeprefix("W/").strip('"')


ID_FILTERS = (ModelChoiceFilter, ModelMultipleChoiceFilter)
BIGGEST_ID = 2**63 - 1


def is_id(value: str) -> bool:
    return value.isascii() and value.isdecimal() and 0 < int(value) <= BIGGEST_ID


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = (
        "Send If-Match with the ETag of the version you last read (or * to overwrite), "
        "so a change made meanwhile is not lost."
    )
    default_code = "precondition_required"


def stale_body(obj, changes: dict) -> dict:
    """The 409 for a stale ``If-Match``: what each sent field holds now, and who set it."""
    fields = {}
    for field in changes:
        change = last_change(obj, field)
        current = stored_value(obj, field)
        fields[field] = {
            "current": json_value(current),
            "current_display": change.new_display if change else str(current or ""),
            "changed_by": {"id": change.actor.pk, "name": str(change.actor)}
            if change and change.actor
            else None,
            "changed_at": change.created_at.isoformat() if change else None,
        }
    return {
        "detail": "This record changed since you read it. Nothing was saved; "
        "read it again and re-apply your change.",
        "etag": etag_of(obj),
        "fields": fields,
    }


def stored_value(obj, field: str):
    """The stored value of ``field`` (a foreign key's id), as update_field compares it."""
    return getattr(obj, obj._meta.get_field(field).attname)


def json_value(value):
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
