from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import Department, Invitation, User


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "description", "created_at"]
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
