from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "integrations.imports"
    label = "imports"
    verbose_name = "Imports"
