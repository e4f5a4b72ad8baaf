"""Who may see and do what with email on the client (DESIGN §6).

Threads follow the client (all staff) unless marked private: then only the
person who marked it and admins see it, anywhere (timeline, thread page,
search, reports). Triage — mail nobody has matched to a client — is seen by
admins and managers, by the departments of the address it came to, and by
the person who forwarded or BCC'd it.
"""

from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from integrations.mail.models import EmailMessage, EmailThread, Snippet
from records import policies as records_policies


def _active(user) -> bool:
    return records_policies.can_view(user)


def can_view_thread(user, thread: EmailThread) -> bool:
    if not _active(user):
        return False
    if thread.private_to_id is not None:
        return user.is_admin or thread.private_to_id == user.pk
    if thread.client_id is None:
        return can_view_triage_thread(user, thread)
    return True


def can_send_to_client(user, client) -> bool:
    """Write to a client's contacts (from the client, one of its deals or tickets)."""
    return _active(user) and client.merged_into_id is None


def can_reply(user, thread: EmailThread) -> bool:
    return can_view_thread(user, thread) and thread.client_id is not None


def can_retry(user, message: EmailMessage) -> bool:
    return (
        message.status == EmailMessage.Status.FAILED
        and can_view_thread(user, message.thread)
        and (message.sender_id == user.pk or user.is_admin)
    )


def can_make_private(user, thread: EmailThread) -> bool:
    """Mark private (or public again): admins, and the people the thread is theirs —
    who started it, who sent in it, the client's owner."""
    if not can_view_thread(user, thread):
        return False
    if user.is_admin or thread.created_by_id == user.pk:
        return True
    if thread.client_id and thread.client.owner_id == user.pk:
        return True
    return thread.messages.filter(sender=user).exists()


def can_view_triage(user) -> bool:
    """See the triage list at all (what is in it depends on ``triage_visible_q``)."""
    return _active(user)


def can_view_triage_thread(user, thread: EmailThread) -> bool:
    if not _active(user):
        return False
    if user.is_admin or user.is_manager:
        return True
    address = thread.inbound_address
    if address is not None and records_policies.in_department(user, address.department_id):
        return True
    return thread.messages.filter(from_address__iexact=user.email).exists()


def triage_visible_q(user) -> Q:
    """The threads ``user`` sees in triage: ``can_view_triage_thread`` as a filter."""
    if not _active(user):
        return Q(pk__in=[])
    own_or_public = Q(private_to__isnull=True) | Q(private_to=user)
    if user.is_admin:
        return Q()
    if user.is_manager:
        return own_or_public
    forwarded = EmailMessage.objects.filter(thread=OuterRef("pk"), from_address__iexact=user.email)
    return own_or_public & (
        Q(inbound_address__department__in=user.departments.all()) | Exists(forwarded)
    )


def can_use_snippet(user, snippet: Snippet) -> bool:
    return _active(user) and (snippet.owner_id is None or snippet.owner_id == user.pk)


def can_edit_snippet(user, snippet: Snippet) -> bool:
    """Own snippets; shared ones are the admins'."""
    if snippet.owner_id is None:
        return _active(user) and user.is_admin
    return _active(user) and snippet.owner_id == user.pk


def access_thread(user, pk) -> EmailThread:
    """The thread, or one 404 for missing and forbidden alike."""
    thread = (
        EmailThread.objects.select_related("client", "deal", "ticket", "inbound_address")
        .filter(pk=pk)
        .first()
    )
    if thread is None or not can_view_thread(user, thread):
        raise Http404("No such email thread.")
    return thread


def access_message(user, pk) -> EmailMessage:
    message = EmailMessage.objects.select_related("thread").filter(pk=pk).first()
    if message is None or not can_view_thread(user, message.thread):
        raise Http404("No such email.")
    return message
