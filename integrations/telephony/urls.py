"""Calls: the phone system's signed webhook and a person's recent calls."""

from django.urls import path

from integrations.telephony import views

app_name = "telephony"

urlpatterns = [
    path("", views.calls, name="calls"),
    path("events/", views.webhook, name="webhook"),
]
