from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"

    def ready(self):
        """Chat's share of records' work (chat/work.py); messages in the global search."""
        from chat import work
        from chat.search import messages_group
        from workspace import search

        work.connect()
        search.register(messages_group, order=30)
