from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "integrations.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        """Deliveries are made from the live bus's events, in the writer's transaction."""
        from integrations.webhooks import listeners

        listeners.load()
