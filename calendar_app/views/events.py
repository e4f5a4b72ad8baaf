"""An event's page (placeholder: the pages work replaces this module)."""

from django.shortcuts import render
from django.urls import path

from calendar_app import policies


def event_detail(request, pk):
    event = policies.access_event(request.user, pk)
    return render(request, "calendar_app/event_detail.html", {"event": event})


urlpatterns = [path("events/<int:pk>/", event_detail, name="event_detail")]
