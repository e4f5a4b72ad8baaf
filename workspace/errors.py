"""Errors every app's services may raise and every app's views answer alike."""

from django.core.exceptions import ValidationError


class Conflict(ValidationError):
    """A write refused because what it was based on changed meanwhile; nothing was saved.

    Views answer it 409 with its message (``workspace.htmx.run_write``); an app
    subclasses it to carry what its pages show (records' ``FieldConflict``: who
    changed the field, and to what).
    """
