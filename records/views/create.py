"""New clients and contacts, with likely duplicates shown while the person types."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from records import policies, services
from records.client_forms import ClientForm, ContactForm
from records.selectors import duplicates
from workspace.forms import call_service


def refusal_as_error(service):
    """``service`` with a PermissionDenied turned into a ValidationError, for a form to show."""

    def run():
        try:
            return service()
        except PermissionDenied as error:
            raise ValidationError(str(error)) from None

    return run


def client_new(request):
    if not policies.can_create_client(request.user):
        raise PermissionDenied("You cannot add clients.")
    form = ClientForm(
        request.POST or None,
        actor=request.user,
        hints_url=reverse("records:client_duplicates"),
        initial=_typed(request.GET, "name", "phone"),  # "Create contact" from a call pop-up
    )
    if request.method == "POST" and form.is_valid():
        create = refusal_as_error(
            lambda: services.create_client(actor=request.user, **form.service_arguments())
        )
        client = call_service(form, create)
        if client:
            messages.success(request, f"{client} added.")
            return redirect("records:client_detail", pk=client.pk)
    hints = duplicates.client_duplicates(**_typed(request.POST, "name", "domain", "phone"))
    return render(request, "records/client_form.html", {"form": form, "hints": hints})


def contact_new(request, pk: int):
    client = policies.access_client(request.user, pk)
    if not policies.can_edit_client(request.user, client):
        raise PermissionDenied("Only the client's owner and its department can add contacts.")
    form = ContactForm(
        request.POST or None, hints_url=reverse("records:contact_duplicates", args=[client.pk])
    )
    if request.method == "POST" and form.is_valid():
        create = refusal_as_error(
            lambda: services.create_contact(actor=request.user, client=client, **form.cleaned_data)
        )
        contact = call_service(form, create)
        if contact:
            messages.success(request, f"Contact {contact} added to {client}.")
            return redirect("records:client_detail", pk=client.pk)
    hints = _contact_hints(client, request.POST)
    return render(
        request, "records/contact_form.html", {"form": form, "client": client, "hints": hints}
    )


def client_duplicates(request):
    """The hints region of the new-client form for what is typed so far (htmx)."""
    hints = duplicates.client_duplicates(**_typed(request.GET, "name", "domain", "phone"))
    return render(request, "records/client_form.html#duplicate-hints", {"hints": hints})


def contact_duplicates(request, pk: int):
    client = policies.access_client(request.user, pk)
    hints = _contact_hints(client, request.GET)
    return render(
        request, "records/client_form.html#duplicate-hints", {"hints": hints, "client": client}
    )


def _typed(data, *names: str) -> dict[str, str]:
    return {name: data.get(name, "")[:300] for name in names}


def _contact_hints(client, data) -> list:
    typed = _typed(data, "name", "emails", "phones")
    return duplicates.contact_duplicates(
        client=client,
        name=typed["name"],
        emails=ContactForm.split_emails(typed["emails"]),
        phones=ContactForm.split_phones(typed["phones"]),
    )
