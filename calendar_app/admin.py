"""Django admin for calendars: events and their attendees view-only, subscription links.

Every change of an event goes through calendar_app/services/ (attendees
told, invitations emailed, reminders re-planned, open calendars updated —
DESIGN §3), so nothing here adds or edits events. Private events are left out
entirely, their attendees too: only their organizer and attendees see their
details, on every path, the admin included (calendar_app/policies.py).

Subscription links can be revoked (deleted), e.g. when one leaked: that is
all ``feeds.revoke_feed`` does. The token itself is never shown: only its hash
is stored.
"""

from django.contrib import admin

from calendar_app.models import Attendee, CalendarFeed, Event
from workspace.admin import ViewOnlyAdmin


class AttendeeInline(admin.TabularInline):
    model = Attendee
    extra = 0
    fields = ["user", "name", "email", "contact", "is_organizer", "response", "responded_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ViewOnlyAdmin):
    list_display = ["title", "organizer", "start", "end", "all_day", "rrule", "status", "client"]
    list_filter = ["status", "all_day", "start"]
    search_fields = ["title", "location", "organizer__full_name", "organizer__email", "uid"]
    list_select_related = ["organizer", "client"]
    date_hierarchy = "start"
    raw_id_fields = ["series", "organizer", "client", "deal"]
    inlines = [AttendeeInline]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(visibility=Event.Visibility.NORMAL)


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "last_used_at"]
    search_fields = ["user__full_name", "user__email"]
    list_select_related = ["user"]
    fields = ["user", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
