"""Activity reports (registered in reports/catalog.py)."""
