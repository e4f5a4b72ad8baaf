"""The pages of the API app: the tokens page (profile → API tokens) and the docs page."""

from datetime import datetime, time

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from drf_spectacular.generators import SchemaGenerator

from integrations.api import services
from integrations.api.forms import TokenForm
from integrations.api.models import ApiToken
from workspace.forms import call_service

HTTP_METHODS = ("get", "post", "patch", "put", "delete")
# What an operation does, by the end of its operationId, when it has no description.
ACTIONS = {
    "_list": "List, filtered and paginated.",
    "_retrieve": "Read one.",
    "_create": "Create one.",
    "_partial_update": "Change fields; send If-Match with the ETag you read.",
    "_destroy": "Delete one.",
}


def tokens(request):
    """List the user's tokens, create one (its secret shown once, on this answer), revoke."""
    form = TokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        expiry = form.cleaned_data["expires_at"]
        created = call_service(
            form,
            lambda: services.create_token(
                actor=request.user,
                name=form.cleaned_data["name"],
                scopes=form.scopes(),
                expires_at=end_of_day(expiry) if expiry else None,
            ),
        )
        if created:
            _token, secret = created
            form = TokenForm()
    context = {
        "form": form,
        "secret": secret,
        "tokens": ApiToken.objects.filter(user=request.user),
        "now": timezone.now(),
    }
    return render(request, "integrations/api/tokens.html", context)


def end_of_day(day) -> datetime:
    """A token "expiring on" a day works through that day, in the user's time zone."""
    return timezone.make_aware(datetime.combine(day, time.max))


@require_POST
def revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    try:
        services.revoke_token(actor=request.user, token=token)
    except PermissionDenied as denied:
        messages.error(request, str(denied))
    else:
        messages.success(request, f"Token “{token.name}” is revoked.")
    return redirect("api:tokens")


def docs(request):
    """The API reference, rendered on the server from the OpenAPI schema.

    Swagger UI and Redoc need their JavaScript from a CDN (drf-spectacular-sidecar,
    which vendors them, is not installed) and an inline script, which the strict
    CSP refuses; this page needs neither.
    """
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return render(
        request,
        "integrations/api/docs.html",
        {"info": schema["info"], "groups": operations_by_tag(schema)},
    )


def action_of(operation) -> str:
    name = operation.get("operationId", "")
    return next((text for end, text in ACTIONS.items() if name.endswith(end)), "")


def operations_by_tag(schema) -> list[tuple[str, list[dict]]]:
    groups: dict[str, list[dict]] = {}
    for path, item in schema["paths"].items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            tag = (operation.get("tags") or ["other"])[0]
            groups.setdefault(tag, []).append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("description") or action_of(operation),
                    "parameters": [
                        p for p in operation.get("parameters", []) if p.get("in") != "path"
                    ],
                    "responses": sorted(operation.get("responses", {})),
                    "body": "requestBody" in operation,
                }
            )
    return sorted(groups.items())
