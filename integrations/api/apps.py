from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "integrations.api"
    label = "api"
    verbose_name = "Api"
