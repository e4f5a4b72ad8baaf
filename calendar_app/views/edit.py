"""Scheduling an event and changing it: the form, and the two htmx helpers it uses.

The form (calendar_app/forms.py) shapes input; ``create_event`` and
``update_event`` decide. Their refusals come back onto the form, which keeps
what was typed: a ValidationError on the fields it names; ``DoubleBooked`` as
a warning naming who is busy, with a "Save anyway (double-book)" button;
``StaleEvent`` as "changed meanwhile", with a reload link and a button to
save over the other change. A PermissionDenied is a 403 with its reason.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from calendar_app import policies, services
from calendar_app.forms import EventForm, event_initial, new_event_initial
from calendar_app.models import Event
from calendar_app.recurrence import describe
from calendar_app.views.events import event_url, go_to, series_rule, shown_occurrence
from records import policies as record_policies
from records.selectors.tickets import client_choices

FORM = "calendar_app/event_form.html"


def event_new(request):
    """A new event, prefilled from ``?start=&end=&all_day=1&client=&deal=&attendees=1,2``."""
    if not policies.can_create_event(request.user):
        raise PermissionDenied("You cannot schedule events.")
    client, deal = _linked_records(request)
    form = EventForm(
        request.POST or None,
        organizer=request.user,
        initial=new_event_initial(request.user, request.GET, client=client, deal=deal),
    )
    if request.method == "POST" and form.is_valid():
        event = _save(
            form, lambda: services.create_event(actor=request.user, **form.create_arguments())
        )
        if event is not None:
            messages.success(request, f"“{event.title}” is scheduled. Invitations are sent.")
            return go_to(request, event_url(event))
    return render(request, FORM, {"form": form, "organizer": request.user})


def _linked_records(request):
    """The client and deal named by ``?client=``/``?deal=`` (one 404 for missing and
    forbidden), or None."""
    client = deal = None
    if request.GET.get("client"):
        client = record_policies.access_client(request.user, request.GET["client"])
    if request.GET.get("deal"):
        deal = record_policies.access_deal(request.user, request.GET["deal"])
    return client, deal


def event_edit(request, pk):
    """Change an event; for a series' occurrence (``?occurrence=``), this one, this and the
    following, or all of them."""
    event = policies.access_event(request.user, pk)
    if not policies.can_edit_event(request.user, event):
        raise PermissionDenied("Only the organizer (or an admin) can change this event.")
    if event.is_cancelled:
        messages.error(request, "This event was cancelled: it can no longer be changed.")
        return redirect(event_url(event))
    shown = shown_occurrence(event, request.GET.get("occurrence", ""))
    if shown.moved_to is not None:
        return redirect("calendar:event_edit", pk=shown.moved_to)
    form = EventForm(
        request.POST or None,
        organizer=event.organizer,
        event=event,
        scoped=shown.in_series,
        initial=event_initial(event, shown.start, shown.end),
    )
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        if not changes:
            messages.info(request, "Nothing was changed.")
            return go_to(request, event_url(event, shown))
        row = _save(
            form,
            lambda: services.update_event(
                actor=request.user,
                event=event,
                changes=changes,
                occurrence=shown.occurrence,
                scope=form.cleaned_data.get("scope") or "all",
                seen_sequence=form.seen_sequence,
                allow_double_booking=form.cleaned_data["allow_double_booking"],
            ),
        )
        if row is not None:
            messages.success(request, "Saved. Everyone invited sees the change.")
            return go_to(request, event_url(row))
    context = {
        "form": form,
        "organizer": event.organizer,
        "event": event,
        "shown": shown,
        "repeat_summary": describe(series_rule(event)),
    }
    return render(request, FORM, context)


def _save(form: EventForm, service) -> Event | None:
    """Run the service; a refusal is put on the form (and None returned)."""
    try:
        return service()
    except services.StaleEvent as stale:
        form.stale_sequence = (
            Event.objects.filter(pk=form.event.pk).values_list("sequence", flat=True).first()
        )
        form.add_error(None, stale.messages)
    except services.DoubleBooked as clash:
        form.clashes, form.clash_message = clash.clashes, clash.messages[0]
    except ValidationError as error:
        form.add_service_error(error)
    return None


# --- htmx helpers of the form -------------------------------------------------------------


@require_GET
def event_form_clients(request):
    """The client options matching a search (the picked one, ``client``, stays offered)."""
    query = " ".join(request.GET.get("q", "").split())[:100]
    picked = request.GET.get("client", "")
    context = {"clients": client_choices(query, keep=picked), "query": query, "picked": picked}
    return render(request, f"{FORM}#client-options", context)


@require_GET
def event_form_client(request):
    """The deal and guest fields for the client picked (its deals, its contacts)."""
    picked = request.GET.get("client", "")
    client = record_policies.access_client(request.user, picked) if picked else None
    form = EventForm(organizer=request.user, initial={"client": client})
    return render(request, f"{FORM}#client-parts", {"form": form})
