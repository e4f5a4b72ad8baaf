"""Webhook pages, for admins only (anyone else gets a 404, as for a page that is not there):
the endpoints, an endpoint's settings, secret and delivery log, and the buttons that
rotate the secret, send a test event and redeliver."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from integrations.webhooks import services
from integrations.webhooks.forms import EndpointForm
from integrations.webhooks.models import Delivery, Endpoint
from workspace.forms import call_service

DELIVERIES_PER_PAGE = 25


def _require_admin(request) -> None:
    if not request.user.is_authenticated or not request.user.is_admin:
        raise Http404("No such page.")


def _endpoint(request, pk: int) -> Endpoint:
    _require_admin(request)
    return get_object_or_404(Endpoint, pk=pk)


@require_GET
def endpoint_list(request):
    _require_admin(request)
    return render(
        request,
        "integrations/webhooks/list.html",
        {"endpoints": Endpoint.objects.order_by("url", "pk")},
    )


def endpoint_new(request):
    _require_admin(request)
    form = EndpointForm(request.POST or None)
    del form.fields["active"]
    if request.method == "POST" and form.is_valid():
        endpoint = call_service(
            form,
            lambda: services.create_endpoint(
                actor=request.user,
                url=form.cleaned_data["url"],
                kinds=form.cleaned_data["kinds"],
                description=form.cleaned_data["description"],
            ),
        )
        if endpoint is not None:
            messages.success(request, f"Endpoint {endpoint.url} added. Its secret is below.")
            return redirect("webhooks:endpoint", pk=endpoint.pk)
    return render(request, "integrations/webhooks/form.html", {"form": form, "endpoint": None})


def endpoint_edit(request, pk: int):
    endpoint = _endpoint(request, pk)
    initial = {field: getattr(endpoint, field) for field in services.EDITABLE}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = call_service(
            form,
            lambda: services.update_endpoint(
                actor=request.user, endpoint=endpoint, **form.cleaned_data
            ),
        )
        if saved is not None:
            messages.success(request, f"Endpoint {saved.url} saved.")
            return redirect("webhooks:endpoint", pk=saved.pk)
    context = {"form": form, "endpoint": endpoint}
    return render(request, "integrations/webhooks/form.html", context)


@require_GET
def endpoint_detail(request, pk: int):
    """The endpoint's settings and secret, and its delivery log (newest first, paginated)."""
    endpoint = _endpoint(request, pk)
    deliveries = Delivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-pk")
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    context = {"endpoint": endpoint, "page": page}
    return render(request, "integrations/webhooks/detail.html", context)


@require_POST
def rotate_secret(request, pk: int):
    endpoint = services.rotate_secret(actor=request.user, endpoint=_endpoint(request, pk))
    messages.success(request, "New secret made: update your receiver. Deliveries now use it.")
    return redirect("webhooks:endpoint", pk=endpoint.pk)


@require_POST
def send_test(request, pk: int):
    endpoint = _endpoint(request, pk)
    services.send_test_event(actor=request.user, endpoint=endpoint)
    messages.success(request, "Test event queued: it appears in the log below once sent.")
    return redirect("webhooks:endpoint", pk=endpoint.pk)


def endpoint_delete(request, pk: int):
    """Asks first (GET), deletes on POST."""
    endpoint = _endpoint(request, pk)
    if request.method != "POST":
        return render(request, "integrations/webhooks/delete.html", {"endpoint": endpoint})
    services.delete_endpoint(actor=request.user, endpoint=endpoint)
    messages.success(request, f"Endpoint {endpoint.url} deleted, with its delivery log.")
    return redirect("webhooks:list")


@require_POST
def redeliver(request, pk: int):
    _require_admin(request)
    delivery = get_object_or_404(Delivery.objects.select_related("endpoint"), pk=pk)
    services.redeliver(actor=request.user, delivery=delivery)
    messages.success(request, f"{delivery.kind} queued again.")
    return redirect("webhooks:endpoint", pk=delivery.endpoint_id)
