from django.shortcuts import render
from django.urls import path

from chat import policies


def room(request, pk):
    room = policies.access_room(request.user, pk)
    return render(request, "chat/room_page.html", {"room": room})


urlpatterns = [
    path("rooms/<int:pk>/", room, name="room"),
]
