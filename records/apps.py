from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = "Clients and records"

    def ready(self):
        from records import fragments

        fragments.load()
