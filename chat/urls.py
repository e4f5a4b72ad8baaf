"""Chat's URLs: each area's view module owns its patterns (chat/views/*)."""

from chat import views
from workspace.areas import area_patterns

app_name = "chat"
urlpatterns = area_patterns(views)
