from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "automation"
    verbose_name = "Automation"

    def ready(self):
        """Rules hear of changes from the live bus, in the writer's transaction; the
        work is done after commit by background jobs (automation/listeners.py)."""
        from automation import listeners

        listeners.load()
