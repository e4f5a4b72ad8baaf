"""Scopes: a token reaches only the areas it was given; a session reaches what its user may."""

from rest_framework import permissions

from integrations.api.models import ApiToken


class HasScope(permissions.BasePermission):
    """Active staff only; with a token, the view's ``scope_area`` in the right access.

    What the user may do with a record is the records policies' business (the
    services raise PermissionDenied): a scope only narrows what a token reaches.
    """

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        write = request.method not in permissions.SAFE_METHODS
        if token.allows(view.scope_area, write):
            return True
        self.message = (
            f"This token lacks the scope {view.scope_area}:{'write' if write else 'read'}."
        )
        return False
