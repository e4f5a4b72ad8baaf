"""Email on the client: composing and sending, threads, triage (docs/EMAIL.md)."""

from django.urls import include, path

app_name = "mail"

urlpatterns = [
    path("", include("integrations.mail.urls_compose")),
    path("", include("integrations.mail.urls_threads")),
    path("triage/", include("integrations.mail.urls_triage")),
    path("tickets/", include("integrations.mail.urls_tickets")),
]
