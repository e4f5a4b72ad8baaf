"""The calendar's URLs, in the order Django tries them (views: calendar_app/views/)."""

from django.urls import path

from calendar_app.views import calendar, clients, edit, events, ical, moves, slots

app_name = "calendar"
urlpatterns = [
    # calendar
    path("", calendar.calendar_home, name="home"),
    path("events.json", calendar.events_json, name="events_json"),
    # clients
    path("clients/<int:pk>/meetings/", clients.client_meetings, name="client_meetings"),
    # edit
    path("events/new/", edit.event_new, name="event_new"),
    path("events/new/clients/", edit.event_form_clients, name="event_form_clients"),
    path("events/new/client/", edit.event_form_client, name="event_form_client"),
    path("events/<int:pk>/edit/", edit.event_edit, name="event_edit"),
    # events
    path("events/<int:pk>/", events.event_detail, name="event_detail"),
    path("events/<int:pk>/rsvp/", events.event_rsvp, name="event_rsvp"),
    path("events/<int:pk>/cancel/", events.event_cancel, name="event_cancel"),
    # ical
    path("feed/<str:token>.ics", ical.feed, name="feed"),
    path("events/<int:pk>.ics", ical.event_ics, name="event_ics"),
    path("export.ics", ical.export, name="export"),
    path("subscribe/", ical.subscribe, name="subscribe"),
    path("subscribe/link/", ical.feed_create, name="feed_create"),
    path("subscribe/revoke/", ical.feed_revoke, name="feed_revoke"),
    path("import/", ical.import_ics, name="import"),
    # moves
    path("events/<int:pk>/move/", moves.event_move, name="event_move"),
    # slots
    path("slots/", slots.slots, name="slots"),
    path("freebusy.json", slots.freebusy, name="freebusy"),
]
