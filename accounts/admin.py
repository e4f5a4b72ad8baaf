from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts import events
from accounts.models import Department, Invitation, User


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "description", "timezone", "created_at"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["full_name"]
    list_display = ["full_name", "email", "role", "timezone", "is_active", "date_joined"]
    list_filter = ["role", "departments", "is_active", "is_staff"]
    search_fields = ["full_name", "email", "job_title"]
    filter_horizontal = ["departments", "groups", "user_permissions"]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["full_name", "job_title", "avatar", "timezone"]}),
        ("Working hours", {"fields": ["work_start", "work_end", "work_days"]}),
        ("Notifications", {"fields": ["email_notifications", "reminder_minutes"]}),
        ("Workspace access", {"fields": ["role", "departments", "is_active"]}),
        (
            "Django admin",
            {"classes": ["collapse"], "fields": ["is_staff", "is_superuser", "groups"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "full_name", "role", "password1", "password2"],
            },
        )
    ]

    # Role, departments and "active" change here too, past accounts.services: the
    # person's open tabs re-check what they follow (and close if deactivated or deleted).
    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:
            events.access_changed([form.instance.pk])

    def delete_model(self, request, obj):
        person_id = obj.pk
        super().delete_model(request, obj)
        events.access_changed([person_id])

    def delete_queryset(self, request, queryset):
        person_ids = list(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        events.access_changed(person_ids)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "department", "role", "invited_by", "created_at", "expires_at"]
    list_filter = ["role", "department", "created_at"]
    search_fields = ["email", "full_name"]
    list_select_related = ["department", "invited_by"]
    readonly_fields = ["token_hash", "created_at", "accepted_at", "accepted_user", "revoked_at"]
    fields = [
        "email",
        "full_name",
        "department",
        "role",
        "invited_by",
        "expires_at",
        "revoked_by",
        *readonly_fields,
    ]
