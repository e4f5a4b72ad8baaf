from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path
from django.views.static import serve

from workspace import views

admin.site.site_header = "Workspace administration"
admin.site.site_title = "Workspace admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("healthz", views.health, name="health"),
    path("", include("accounts.urls")),
    path("", include("records.urls")),
    path("chat/", include("chat.urls")),
    path("calendar/", include("calendar_app.urls")),
    path("reports/", include("reports.urls")),
    path("marketing/", include("marketing.urls")),
    path("api/", include("integrations.api.urls")),
    path("integrations/webhooks/", include("integrations.webhooks.urls")),
    path("integrations/imports/", include("integrations.imports.urls")),
    path("integrations/exports/", include("integrations.exports.urls")),
    path("mail/", include("integrations.mail.urls")),
    path("integrations/calls/", include("integrations.telephony.urls")),
    path("automation/", include("automation.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]

if settings.SERVE_MEDIA:
    # Avatars. Behind a CDN or object storage, set SERVE_MEDIA=0 and MEDIA_URL.
    urlpatterns.append(
        re_path(
            rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$",
            login_not_required(serve),
            {"document_root": settings.MEDIA_ROOT},
        )
    )
