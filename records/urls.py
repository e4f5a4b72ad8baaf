"""Records' URLs: each area's view module owns its patterns (records/views/*)."""

from records import views
from workspace.areas import area_patterns

app_name = "records"
urlpatterns = area_patterns(views)
