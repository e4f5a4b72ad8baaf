"""Records' pages, one module per area (routes: records/urls.py)."""
