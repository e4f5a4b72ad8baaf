"""Chat pages, one module per area (routes: chat/urls.py)."""
