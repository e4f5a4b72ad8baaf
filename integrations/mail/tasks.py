"""Background jobs of email on the client (django.tasks; run by ``manage.py run_worker``).

Each is defined beside the service that queues it (one module, no import cycle)
and listed here, so the app's jobs are found in one place.
"""

from integrations.mail.services.outgoing import send_message

__all__ = ["send_message"]
