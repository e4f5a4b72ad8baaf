"""Health reports (registered in reports/catalog.py)."""
