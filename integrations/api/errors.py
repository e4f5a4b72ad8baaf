"""The services' errors as API answers, worded as the pages word them.

``ValidationError`` → 400 (per field where the service named one), a conflict
(records' ``FieldConflict``, ``MoveConflict``) → 409 with the current value and
who set it, ``PermissionDenied`` → 403 with the service's reason, ``Http404``
→ 404 (missing and forbidden alike).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from chat.services import RateLimited
from records.services import FieldConflict
from workspace.errors import Conflict

# Validation errors that mean "someone else acted first": a conflict, not bad input.
CONFLICT_CODES = {"already_answered"}


def handle_exception(exc, context):
    if isinstance(exc, FieldConflict):
        return Response(conflict_body(exc), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, Conflict) or getattr(exc, "code", None) in CONFLICT_CODES:
        return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, RateLimited):
        response = Response({"detail": " ".join(exc.messages)}, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, ValidationError):
        return Response(validation_body(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        reason = str(exc) or "You cannot do this."
        return Response({"detail": reason}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, Http404):
        return Response({"detail": str(exc) or "Not found."}, status=status.HTTP_404_NOT_FOUND)
    return exception_handler(exc, context)


def validation_body(error: ValidationError) -> dict:
    if hasattr(error, "error_dict"):
        fields = {
            ("detail" if name == "__all__" else name): messages
            for name, messages in error.message_dict.items()
        }
        return fields
    return {"detail": " ".join(error.messages)}


def conflict_body(conflict: FieldConflict) -> dict:
    changed_by = conflict.changed_by
    return {
        "detail": " ".join(conflict.messages),
        "field": conflict.field,
        "current": conflict.current,
        "current_display": conflict.current_display,
        "changed_by": {"id": changed_by.pk, "name": str(changed_by)} if changed_by else None,
        "changed_at": conflict.changed_at.isoformat() if conflict.changed_at else None,
    }
