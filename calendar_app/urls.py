"""The calendar's URLs: each area's view module owns its patterns (calendar_app/views/*)."""

from calendar_app import views
from workspace.areas import area_patterns

app_name = "calendar"
urlpatterns = area_patterns(views)
