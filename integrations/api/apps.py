from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "integrations.api"
    label = "api"
    verbose_name = "Api"

    def ready(self):
        from integrations.api import schema  # noqa: F401  (registers the bearer scheme)
