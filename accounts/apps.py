from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and departments"

    def ready(self):
        """People in the global search; "Your teams" and "Get set up" on the home page."""
        from accounts.home import setup_card, teams_card
        from accounts.search import people_group
        from workspace import home, search

        search.register(people_group, order=20)
        home.register(
            template="accounts/home_teams.html", context=teams_card, column=home.MAIN, order=20
        )
        home.register(
            template="accounts/home_setup.html", context=setup_card, column=home.SIDE, order=10
        )
