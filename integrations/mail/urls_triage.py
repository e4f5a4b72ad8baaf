"""URLs of the mail pages: triage (included by integrations/mail/urls.py)."""

urlpatterns = []
