from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class LiveConfig(AppConfig):
    name = "workspace.live"
    label = "live"
    verbose_name = "Live bus"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Each app's events.py registers the topics it publishes and who may see them;
        # consumers.py, where an app takes frames over the socket, its action handlers.
        autodiscover_modules("events", "consumers")
