"""What the API reads and writes: records as JSON, related objects by id or expanded."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Department, User
from integrations.api.base import StrictSerializer, version_of
from records.models import Client, Contact, Deal, LossReason, Stage, Ticket

# --- Related objects: an id, or the object under ?expand=<name> ----------------

PERSON_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "email": {"type": "string"},
    },
}
DEPARTMENT_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "slug": {"type": "string"},
    },
}
CLIENT_SCHEMA = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
}
STAGE_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "is_won": {"type": "boolean"},
        "is_lost": {"type": "boolean"},
    },
}


def _id_or(schema: dict) -> dict:
    return {"oneOf": [{"type": "integer"}, schema]}


class Related(serializers.Field):
    """A foreign key: its id, or (named in ``?expand=``) the object itself."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        if self.field_name in self.context.get("expand", ()):
            return self.expand(value)
        return value.pk

    def expand(self, value) -> dict:
        raise NotImplementedError


@extend_schema_field(_id_or(PERSON_SCHEMA))
class PersonField(Related):
    def expand(self, value):
        return {"id": value.pk, "name": str(value), "email": value.email}


@extend_schema_field(_id_or(DEPARTMENT_SCHEMA))
class DepartmentField(Related):
    def expand(self, value):
        return {"id": value.pk, "name": value.name, "slug": value.slug}


@extend_schema_field(_id_or(CLIENT_SCHEMA))
class ClientField(Related):
    def expand(self, value):
        return {"id": value.pk, "name": value.name}


@extend_schema_field(_id_or(STAGE_SCHEMA))
class StageField(Related):
    def expand(self, value):
        return {
            "id": value.pk,
            "name": value.name,
            "is_won": value.is_won,
            "is_lost": value.is_lost,
        }


class VersionedSerializer(serializers.ModelSerializer):
    version = serializers.SerializerMethodField(
        help_text="The record's version; send it back in If-Match (quoted) to PATCH."
    )

    def get_version(self, obj) -> str:
        return version_of(obj)


# --- Reads ---------------------------------------------------------------------


def blank_or_choice(model, field: str) -> serializers.ChoiceField:
    """A choice the model lets stay blank (its schema must say so too)."""
    choices = model._meta.get_field(field).choices
    return serializers.ChoiceField(choices=choices, allow_blank=True, read_only=True)


class ClientSerializer(VersionedSerializer):
    owner = PersonField()
    department = DepartmentField()
    country = blank_or_choice(Client, "country")
    size = blank_or_choice(Client, "size")

    class Meta:
        model = Client
        fields = [
            "id",
            "name",
            "domain",
            "industry",
            "country",
            "size",
            "address",
            "phone",
            "tags",
            "lifecycle",
            "source",
            "owner",
            "department",
            "custom_values",
            "archived",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields


class ContactSerializer(VersionedSerializer):
    client = ClientField()

    class Meta:
        model = Contact
        fields = [
            "id",
            "client",
            "name",
            "title",
            "emails",
            "phones",
            "preferred_channel",
            "notes",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields


class DealSerializer(VersionedSerializer):
    client = ClientField()
    owner = PersonField()
    stage = StageField()

    class Meta:
        model = Deal
        fields = [
            "id",
            "title",
            "client",
            "amount",
            "currency",
            "pipeline",
            "stage",
            "status",
            "owner",
            "expected_close",
            "loss_reason",
            "loss_note",
            "closed_at",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields


@extend_schema_field({"oneOf": [{"type": "integer"}, PERSON_SCHEMA, {"type": "null"}]})
class OptionalPersonField(PersonField):
    """A person who may be absent (DRF answers null without asking the field)."""


class TicketSerializer(VersionedSerializer):
    client = ClientField()
    assignee = OptionalPersonField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "subject",
            "client",
            "contact",
            "status",
            "priority",
            "channel",
            "assignee",
            "sla_due",
            "first_response_at",
            "resolved_at",
            "satisfaction",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields


class PersonSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = ["id", "name", "email", "job_title", "role", "departments", "timezone"]
        read_only_fields = fields


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "slug", "description"]
        read_only_fields = fields


# --- Writes: bodies handed to the records services -----------------------------

ACTIVE_PEOPLE = User.objects.filter(is_active=True)


class ClientFields(StrictSerializer):
    """The fields of a client a PATCH may change (records' update_field)."""

    name = serializers.CharField(max_length=200)
    domain = serializers.CharField(allow_blank=True, required=False)
    industry = serializers.CharField(allow_blank=True, required=False)
    country = serializers.CharField(allow_blank=True, required=False)
    size = serializers.CharField(allow_blank=True, required=False)
    address = serializers.CharField(allow_blank=True, required=False)
    phone = serializers.CharField(allow_blank=True, required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    lifecycle = serializers.CharField(required=False)
    source = serializers.CharField(required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=ACTIVE_PEOPLE, required=False)
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), required=False
    )


class ClientArchive(StrictSerializer):
    archived = serializers.BooleanField(default=True)


class ContactFields(StrictSerializer):
    name = serializers.CharField(max_length=150)
    title = serializers.CharField(allow_blank=True, required=False)
    emails = serializers.ListField(child=serializers.CharField(), required=False)
    phones = serializers.ListField(child=serializers.CharField(), required=False)
    preferred_channel = serializers.CharField(required=False)
    notes = serializers.CharField(allow_blank=True, required=False)


class ContactCreate(ContactFields):
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.all())


class DealFields(StrictSerializer):
    title = serializers.CharField(max_length=200)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    currency = serializers.CharField(required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=ACTIVE_PEOPLE, required=False)
    expected_close = serializers.DateField(allow_null=True, required=False)


class DealCreate(DealFields):
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.all())
    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.all(), required=False)


class DealMove(StrictSerializer):
    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.all())
    position = serializers.IntegerField(required=False)
    seen_stage = serializers.IntegerField(
        required=False, help_text="The stage you saw the deal in: 409 if it moved since."
    )


class DealWin(StrictSerializer):
    seen_stage = serializers.IntegerField(required=False)


class DealLose(StrictSerializer):
    loss_reason = serializers.PrimaryKeyRelatedField(
        queryset=LossReason.objects.filter(active=True)
    )
    loss_note = serializers.CharField(allow_blank=True, required=False, max_length=2000)
    seen_stage = serializers.IntegerField(required=False)


class TicketFields(StrictSerializer):
    subject = serializers.CharField(max_length=200)
    priority = serializers.CharField(required=False)
    channel = serializers.CharField(required=False)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=ACTIVE_PEOPLE, required=False, allow_null=True
    )
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), required=False, allow_null=True
    )


class TicketCreate(TicketFields):
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.all())


class TicketStatus(StrictSerializer):
    status = serializers.ChoiceField(choices=Ticket.Status.choices)
