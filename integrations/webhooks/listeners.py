"""Hook webhooks onto the live bus (called from the app's ``ready``)."""

from integrations.webhooks import catalog, services
from workspace import live


def load() -> None:
    for bus_kind in catalog.BUS_KINDS:
        live.register_listener(bus_kind, services.event_published)
