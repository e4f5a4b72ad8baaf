"""The full export as a django.tasks job (run by ``manage.py run_worker``)."""

from django.db import transaction
from django.tasks import task
from django.urls import reverse

from accounts.models import User
from accounts.services import notify
from integrations.exports import full


@task
def build_full_export(user_id: int, name: str) -> str:
    """Build the full export ``name`` asked for by admin ``user_id``, then tell them.

    Returns the file's name, or "" when the admin is gone or no longer an admin
    (the placeholder is removed: nothing is exported for them).
    """
    admin = User.objects.filter(pk=user_id).first()
    path = full.folder(admin).joinpath(name) if admin else None
    if admin is None or not admin.is_admin:
        if path is not None:
            path.with_name(name + full.PARTIAL).unlink(missing_ok=True)
        return ""
    full.build(admin, path)
    link = reverse("exports:full_download", args=[name])
    with transaction.atomic():
        notify(recipient=admin, kind="export", text="Your full export is ready.", link=link)
    return name
