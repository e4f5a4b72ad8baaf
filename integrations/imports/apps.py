from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "integrations.imports"
    label = "imports"
    verbose_name = "Imports"

    def ready(self):
        """The runs' live topic (``import.<id>``)."""
        from integrations.imports import events

        events.load()
