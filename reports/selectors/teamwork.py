"""Teamwork reports (registered in reports/catalog.py)."""
