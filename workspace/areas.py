"""URL patterns gathered from a views package: each area's module owns its patterns."""

import importlib
import pkgutil
from types import ModuleType


def area_patterns(views: ModuleType) -> list:
    """Every ``urlpatterns`` of the modules in the ``views`` package, in module order."""
    patterns = []
    for module in pkgutil.iter_modules(views.__path__):
        area = importlib.import_module(f"{views.__name__}.{module.name}")
        patterns.extend(getattr(area, "urlpatterns", []))
    return patterns
