from django.apps import AppConfig


class CalendarConfig(AppConfig):
    name = "calendar_app"
    verbose_name = "Calendar"

    def ready(self):
        """Events in the global search."""
        from calendar_app.search import events_group
        from workspace import search

        search.register(events_group, order=40)
