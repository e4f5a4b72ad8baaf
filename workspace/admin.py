"""What every app's Django admin shares."""

from django.contrib import admin


class ViewOnlyAdmin(admin.ModelAdmin):
    """History and records that change only through services (audit, timeline, live
    update: DESIGN §3): the admin shows them and never adds, edits or deletes."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
