from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "integrations.mail"
    label = "mail"
    verbose_name = "Email on the client"

    def ready(self):
        """Mail's part of records' timeline (an email entry, and the thread page's live
        fragment: integrations/mail/threads.py) and its group in the global search."""
        from integrations.mail import (
            events,  # noqa: F401 (registers the triage topics)
            threads,  # noqa: F401 (registers its fragment)
        )
        from integrations.mail.search import emails_group
        from records.timeline import register_entry_template
        from workspace import search

        register_entry_template(
            lambda entry: entry.kind == "email" and "message" in entry.data,
            "mail/timeline_email.html",
            stylesheet="css/mail-thread.css",
        )
        search.register(emails_group, order=35)
