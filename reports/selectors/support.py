"""Support reports (registered in reports/catalog.py)."""
