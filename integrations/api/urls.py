from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from integrations.api import (
    calendar,
    chat,
    comments,
    handoffs,
    pages,
    schema,  # noqa: F401  (registers the bearer scheme with the schema)
    tasks,
    views,
)

app_name = "api"

router = SimpleRouter()
router.register("clients", views.ClientViewSet, basename="client")
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("deals", views.DealViewSet, basename="deal")
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("handoffs", handoffs.HandoffViewSet, basename="handoff")
router.register("comments", comments.CommentViewSet, basename="comment")
router.register("tasks", tasks.TaskViewSet, basename="task")
router.register("people", views.PersonViewSet, basename="person")
router.register("departments", views.DepartmentViewSet, basename="department")
router.register("chat/rooms", chat.RoomViewSet, basename="room")
router.register("calendar/events", calendar.EventViewSet, basename="event")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", pages.docs, name="docs"),
    path("tokens/", pages.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", pages.revoke, name="revoke"),
    *router.urls,
]
