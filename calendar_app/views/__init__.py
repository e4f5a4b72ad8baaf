"""The calendar's pages and endpoints, one module per area (routes: calendar_app/urls.py)."""
