"""URLs of the mail pages: threads (included by integrations/mail/urls.py)."""

urlpatterns = []
