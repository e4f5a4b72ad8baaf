"""The phone system's signed webhook, and a person's recent calls."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from integrations.telephony import incoming, selectors, services, signing


@login_not_required  # the signature is the credential (docs/TELEPHONY.md)
@csrf_exempt  # a server-to-server POST, with no session to forge
@require_POST
def webhook(request):
    """One call event: 200 with what it did, 401 for a bad signature, 400 for a bad body."""
    body = request.body
    try:
        signing.verify(
            request.headers.get(signing.HEADER, ""), body, settings.TELEPHONY_WEBHOOK_SECRET
        )
    except signing.SignatureError as error:
        return JsonResponse({"error": str(error)}, status=401)
    try:
        event = incoming.parse(body)
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    outcome = services.handle_event(event=event)
    answer = {
        "status": "applied" if outcome.applied else "duplicate",
        "call": outcome.call.pk,
        "state": outcome.call.state,
    }
    if outcome.warning:
        answer["warning"] = outcome.warning
    return JsonResponse(answer)


@require_GET
def calls(request):
    """The signed-in person's latest calls."""
    return render(request, "telephony/calls.html", {"calls": selectors.calls_of(request.user)})
