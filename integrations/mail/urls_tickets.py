"""URLs of the mail pages: a ticket's email panel (included by integrations/mail/urls.py)."""

from django.urls import path

from integrations.mail.views import ticket_mail

urlpatterns = [
    path("<int:pk>/", ticket_mail.ticket_mail, name="ticket_mail"),
]
