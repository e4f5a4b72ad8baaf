from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = "Clients and records"

    def ready(self):
        """The live fragments; records in the global search; "Your work" on the home page."""
        from records import fragments
        from records.selectors.home import my_work
        from records.selectors.search import record_groups
        from workspace import home, search

        fragments.load()
        search.register(record_groups, order=10)
        home.register(
            template="records/home_work.html",
            context=lambda user: {"my_work": my_work(user)},
            column=home.MAIN,
            order=10,
        )
