"""URLs of the mail pages: compose (included by integrations/mail/urls.py)."""

urlpatterns = []
