"""The client page: the 360° view of one client, live (DESIGN §5).

Header, fields (click to edit), contacts, deals, tickets, the comment thread
and the timeline with its quick "log a call" form. Every part that changes is
updated by live fragments (records/fragments/*) from the partials this page
draws, and re-fetched from this page's URL when a tab must resync.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from records import client_panels, events, policies, services
from records.models import TimelineEntry
from records.selectors.client_page import TIMELINE_FILTERS, client_page, timeline_page
from workspace.htmx import live_reply

ACTIVITY_CHOICES = [(kind.value, kind.label) for kind in TimelineEntry.ACTIVITIES]


def client_detail(request, pk: int):
    client = policies.access_client(request.user, pk)
    if client.merged_into_id:
        messages.info(request, f"{client} was merged into this client.")
        return redirect("records:client_detail", pk=client.merged_into_id)
    context = {
        "client": client,
        "can_manage": policies.can_manage_client(request.user, client),
        "can_log": policies.can_log_activity(request.user, client),
        "activity_choices": ACTIVITY_CHOICES,
        "activity": {"kind": "call"},
        "extra_panels": client_panels.panels(request, client),
        **client_page(client, request.GET.get("kind", "all"), viewer=request.user),
    }
    return render(request, "records/client_detail.html", context)


def client_timeline(request, pk: int):
    """The timeline region (a filter chip), or the entries after ``before`` (load more)."""
    client = policies.access_client(request.user, pk)
    kind = request.GET.get("kind", "all")
    if not request.htmx:
        return redirect(f"{reverse('records:client_detail', args=[pk])}?kind={kind}")
    before = request.GET.get("before")
    cursor = int(before) if before and before.isdigit() else None
    page = timeline_page(client.pk, kind, cursor, viewer=request.user)
    context = {"client": client, "timeline": page, "timeline_filters": _filter_labels()}
    partial = "timeline-more" if before else "timeline"
    return render(request, f"records/client_detail.html#{partial}", context)


def _filter_labels() -> dict[str, str]:
    return {name: label for name, (label, _) in TIMELINE_FILTERS.items()}


@require_POST
def log_activity(request, pk: int):
    """The quick "log a call / meeting / email / note" form under the timeline."""
    client = policies.access_client(request.user, pk)
    activity = {name: request.POST.get(name, "") for name in ("kind", "summary", "body")}
    try:
        entry = services.log_activity(actor=request.user, client=client, **activity)
    except ValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else {"form": error.messages}
        if not request.htmx:
            messages.error(request, " ".join(error.messages))
            return redirect("records:client_detail", pk=pk)
        context = {
            "client": client,
            "activity": activity,
            "errors": errors,
            "activity_choices": ACTIVITY_CHOICES,
        }
        return render(request, "records/client_detail.html#log-form", context, status=422)
    if not request.htmx:
        messages.success(request, f"{entry.get_kind_display()} logged.")
        return redirect("records:client_detail", pk=pk)
    return _logged_reply(request, client, entry)


def _logged_reply(request, client, entry):
    """A fresh form plus the event's fragment (the new timeline entry)."""
    context = {
        "client": client,
        "activity": {"kind": entry.kind},
        "activity_choices": ACTIVITY_CHOICES,
        "oob": True,
    }
    form = render_to_string("records/client_detail.html#log-form", context, request)
    return live_reply(request, form, topic=events.client_topic(client.pk))


@require_POST
def archive(request, pk: int):
    """Archive (``archived=1``) or restore (``archived=0``) through ``archive_client``."""
    client = policies.access_client(request.user, pk)
    archived = request.POST.get("archived") != "0"
    services.archive_client(actor=request.user, client=client, archived=archived)  # 403 if not
    messages.success(request, f"{client} is {'archived' if archived else 'restored'}.")
    return redirect("records:client_detail", pk=pk)
