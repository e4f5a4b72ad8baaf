from django.contrib import admin

from workspace.live.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["id", "topic", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["topic"]
    readonly_fields = ["topic", "kind", "payload", "html", "created_at"]
