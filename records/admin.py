"""Django admin for records.

Admin-defined settings (custom fields, pipelines and stages, loss reasons,
SLA hours) are edited here. Clients, deals, tickets, tasks, handoffs,
comments, the timeline and the audit are view-only: every change of a record goes through
records/services.py (audit, timeline, live update — DESIGN §3), and nothing
deletes history.
"""

from django.contrib import admin

from records.models import (
    ChecklistItem,
    Client,
    Comment,
    Contact,
    CustomField,
    Deal,
    FieldChange,
    Handoff,
    LossReason,
    Pipeline,
    Stage,
    Task,
    Ticket,
    TicketSlaPolicy,
    TimelineEntry,
)
from workspace.admin import ViewOnlyAdmin


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    list_display = ["label", "key", "type", "order", "active"]
    list_filter = ["type", "active"]
    search_fields = ["label", "key"]
    list_editable = ["order", "active"]


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0
    fields = ["name", "order", "probability", "is_won", "is_lost"]


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default", "created_at"]
    list_filter = ["is_default"]
    search_fields = ["name"]
    inlines = [StageInline]


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["name", "pipeline", "order", "probability", "is_won", "is_lost"]
    list_filter = ["pipeline", "is_won", "is_lost"]
    search_fields = ["name", "pipeline__name"]
    list_select_related = ["pipeline"]


@admin.register(LossReason)
class LossReasonAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "active"]
    list_filter = ["active"]
    search_fields = ["name"]
    list_editable = ["order", "active"]


@admin.register(TicketSlaPolicy)
class TicketSlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["priority", "hours"]
    list_filter = ["priority"]
    search_fields = ["priority"]


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "title", "emails", "phones", "preferred_channel"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Client)
class ClientAdmin(ViewOnlyAdmin):
    list_display = ["name", "domain", "lifecycle", "owner", "department", "archived", "updated_at"]
    list_filter = ["lifecycle", "source", "size", "department", "archived"]
    search_fields = ["name", "domain", "industry", "phone"]
    list_select_related = ["owner", "department"]
    date_hierarchy = "created_at"
    inlines = [ContactInline]


@admin.register(Contact)
class ContactAdmin(ViewOnlyAdmin):
    list_display = ["name", "client", "title", "preferred_channel", "updated_at"]
    list_filter = ["preferred_channel"]
    search_fields = ["name", "title", "client__name"]
    list_select_related = ["client"]


@admin.register(Deal)
class DealAdmin(ViewOnlyAdmin):
    list_display = ["title", "client", "amount", "currency", "stage", "status", "owner"]
    list_filter = ["status", "pipeline", "stage", "currency", "loss_reason"]
    search_fields = ["title", "client__name"]
    list_select_related = ["client", "stage", "owner"]
    date_hierarchy = "created_at"


@admin.register(Ticket)
class TicketAdmin(ViewOnlyAdmin):
    list_display = ["subject", "client", "status", "priority", "assignee", "sla_due"]
    list_filter = ["status", "priority", "channel", "satisfaction"]
    search_fields = ["subject", "client__name"]
    list_select_related = ["client", "assignee"]
    date_hierarchy = "created_at"


class ChecklistInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0
    fields = ["text", "done", "order"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Task)
class TaskAdmin(ViewOnlyAdmin):
    list_display = ["title", "assignee", "status", "priority", "due_at", "recurrence"]
    list_filter = ["status", "priority", "recurrence"]
    search_fields = ["title", "assignee__full_name"]
    list_select_related = ["assignee"]
    date_hierarchy = "created_at"
    inlines = [ChecklistInline]


@admin.register(Handoff)
class HandoffAdmin(ViewOnlyAdmin):
    list_display = ["client", "from_user", "to_department", "to_user", "status", "created_at"]
    list_filter = ["status", "to_department", "from_department"]
    search_fields = ["client__name", "note"]
    list_select_related = ["client", "from_user", "to_department", "to_user"]
    date_hierarchy = "created_at"


@admin.register(Comment)
class CommentAdmin(ViewOnlyAdmin):
    list_display = ["pk", "author", "client", "deal", "ticket", "task", "created_at", "deleted_at"]
    list_filter = ["created_at"]
    search_fields = ["body", "author__full_name"]
    list_select_related = ["author", "client", "deal", "ticket", "task"]


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ViewOnlyAdmin):
    list_display = ["summary", "client", "kind", "actor", "created_at"]
    list_filter = ["kind"]
    search_fields = ["summary", "client__name"]
    list_select_related = ["client", "actor"]
    date_hierarchy = "created_at"


@admin.register(FieldChange)
class FieldChangeAdmin(ViewOnlyAdmin):
    list_display = ["content_type", "object_id", "field", "old_display", "new_display", "actor"]
    list_filter = ["content_type", "field"]
    search_fields = ["field", "old_display", "new_display", "actor__full_name"]
    list_select_related = ["content_type", "actor"]
    date_hierarchy = "created_at"
