from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"

    def ready(self):
        """Take what records hands up: lines for client rooms, tasks made from messages."""
        from chat import work

        work.connect()
