"""The home page's "Your work" card: what is on a person's plate, in three counts."""

from django.db.models import Count, Q
from django.utils import timezone

from records.models import Client, Deal, Ticket


def my_work(user) -> dict:
    """Counts of the person's clients, open deals and open tickets (three queries).

    Each count links to the matching list filter (records/selectors/lists.py).
    """
    now = timezone.now()
    tickets = Ticket.objects.filter(assignee=user).exclude(status__in=Ticket.RESOLVED)
    return {
        "clients": Client.objects.filter(owner=user, archived=False, merged_into=None).count(),
        "deals": Deal.objects.filter(owner=user, status=Deal.Status.OPEN).count(),
        **tickets.aggregate(tickets=Count("pk"), breached=Count("pk", filter=Q(sla_due__lt=now))),
    }
