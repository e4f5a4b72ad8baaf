"""Django admin for chat: rooms, members and messages, view-only.

Every change goes through chat/services/ (order, live updates, notifications
-- DESIGN §3), so nothing here adds, edits or deletes. Private rooms and direct
messages are left out entirely, their members and messages too: privacy holds
for admins in every path (docs/ARCHITECTURE.md, chat).
"""

from django.contrib import admin
from django.db.models import Q

from chat.models import Membership, Message, Room
from workspace.admin import ViewOnlyAdmin

SHOWN_ROOMS = Q(is_private=False)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "is_member", "last_read_seq", "joined_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Room)
class RoomAdmin(ViewOnlyAdmin):
    list_display = ["__str__", "kind", "client", "department", "last_seq", "last_message_at"]
    list_filter = ["kind", "archived_at"]
    search_fields = ["name", "client__name", "department__name"]
    list_select_related = ["client", "department"]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(SHOWN_ROOMS)


@admin.register(Message)
class MessageAdmin(ViewOnlyAdmin):
    list_display = ["__str__", "room", "kind", "author", "created_at", "edited_at", "deleted_at"]
    list_filter = ["kind", "room__kind"]
    search_fields = ["body", "author__full_name", "room__name", "room__client__name"]
    list_select_related = ["room__client", "room__department", "author"]
    date_hierarchy = "created_at"
    exclude = ["mentions", "mentioned_departments", "clients"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(room__in=Room.objects.filter(SHOWN_ROOMS))
