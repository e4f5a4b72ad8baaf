"""Records' URLs: each area's view module owns its patterns (records/views/*)."""

import importlib
import pkgutil

from records import views

app_name = "records"


def _area_patterns():
    for module in pkgutil.iter_modules(views.__path__):
        area = importlib.import_module(f"{views.__name__}.{module.name}")
        yield from getattr(area, "urlpatterns", [])


urlpatterns = list(_area_patterns())
