"""URLs of the mail pages: triage (included by integrations/mail/urls.py under /mail/triage/)."""

from django.urls import path

from integrations.mail.views import triage

urlpatterns = [
    path("", triage.triage_list, name="triage"),
    path("<int:pk>/clients/", triage.triage_clients, name="triage_clients"),
    path("<int:pk>/attach/", triage.triage_attach, name="triage_attach"),
    path("<int:pk>/contact/", triage.triage_contact, name="triage_contact"),
    path("<int:pk>/dismiss/", triage.triage_dismiss, name="triage_dismiss"),
]
