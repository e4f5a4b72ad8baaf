from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self):
        """Every report in the catalog; the live topics and listeners; the home dashboard."""
        from reports import catalog, events, health, home

        catalog.load()
        events.load()
        home.load()
        health.load()
