"""Chat pages: one module per area, each owning its ``urlpatterns`` (collected by chat/urls.py)."""
