"""Chat's URLs, in the order Django tries them (views: chat/views/, one module per area)."""

from django.urls import path

from chat.views import messages, rooms, search, work

app_name = "chat"
urlpatterns = [
    # messages
    path("rooms/<int:pk>/messages/", messages.room_messages, name="messages"),
    path("messages/<int:pk>/", messages.message_show, name="message"),
    path("messages/<int:pk>/thread/", messages.thread, name="thread"),
    path("messages/<int:pk>/edit/", messages.message_edit, name="message_edit"),
    path("messages/<int:pk>/delete/", messages.message_delete, name="message_delete"),
    path("messages/<int:pk>/react/", messages.message_react, name="message_react"),
    # rooms
    path("", rooms.home, name="home"),
    path("sidebar/", rooms.sidebar, name="sidebar"),
    path("suggest/", rooms.suggest, name="suggest"),
    path("rooms/new/", rooms.room_new, name="room_new"),
    path("direct/new/", rooms.direct_new, name="direct_new"),
    path("rooms/<int:pk>/", rooms.room, name="room"),
    path("rooms/<int:pk>/join/", rooms.join, name="join"),
    path("rooms/<int:pk>/leave/", rooms.leave, name="leave"),
    path("rooms/<int:pk>/read/", rooms.mark_read, name="read"),
    path("rooms/<int:pk>/members/", rooms.members_add, name="members_add"),
    path(
        "rooms/<int:pk>/members/<int:person>/remove/", rooms.members_remove, name="members_remove"
    ),
    path("clients/<int:pk>/panel/", rooms.client_panel, name="client_panel"),
    # search
    path("search/", search.search, name="search"),
    # work
    path("messages/<int:pk>/task/", work.message_task, name="message_task"),
    path("messages/<int:pk>/highlight/", work.message_highlight, name="message_highlight"),
]
