from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "integrations.mail"
    label = "mail"
    verbose_name = "Email on the client"
