"""Who may see and do what in marketing (DESIGN §6).

* Every active member of staff sees segments, campaigns, forms and their
  results (a collaborative CRM: sales wants to know what marketing sent), and
  may use a segment as a filter on the client and contact lists.
* Building and changing them — segments, campaigns (compose, test, send,
  schedule, cancel), web forms and their routing — takes the marketing
  department (``MARKETING_DEPARTMENT``, a slug) or an admin.
* Recording a contact's consent takes whoever may edit the client.
"""

from django.conf import settings

MARKETING_DEPARTMENT = getattr(settings, "MARKETING_DEPARTMENT", "marketing")


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def can_view_marketing(user) -> bool:
    return _active(user)


def can_manage_marketing(user) -> bool:
    """Build segments, campaigns and forms: the marketing department and admins."""
    if not _active(user):
        return False
    return user.is_admin or user.departments.filter(slug=MARKETING_DEPARTMENT).exists()
