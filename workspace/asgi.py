"""ASGI entry point: HTTP through Django, WebSockets through the live bus.

Once everything is imported, ``gc.freeze()`` moves the objects made at start-up
(modules, URL patterns, templates: hundreds of thousands) out of the garbage
collector's sight, so the full collections a request may trigger do not scan
them again and again. Measured on the calendar's month feed (bench/calendar_feed.py,
500 events): p95 134 ms with, 84 ms without those collections over start-up
objects (docs/PERFORMANCE.md, "Calendar").
"""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from workspace.live.auth import SessionAuthMiddleware  # noqa: E402
from workspace.live.routing import (  # noqa: E402
    RawSend,
    prepare_for_storms,
    websocket_urlpatterns,
)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # One socket per tab at /ws/: same-origin only, signed in by the session cookie
        # (looked up for many sockets at once: workspace/live/auth.py).
        "websocket": RawSend(
            AllowedHostsOriginValidator(SessionAuthMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)
prepare_for_storms()
gc.freeze()
