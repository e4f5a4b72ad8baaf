"""An outage of a service the site can work without for a while (Redis, for the cache
and the channel layer): logged once when it starts and once when it ends, not per
call that fails meanwhile."""

import logging
import threading
import time


class Outage:
    """Whether ``service`` is failing now. ``failed`` and ``ended`` may be called from
    any thread, as often as calls fail or succeed; each logs only at a change."""

    def __init__(self, logger: logging.Logger, service: str, meanwhile: str):
        self.logger = logger
        self.service = service
        self.meanwhile = meanwhile  # what the site does instead, for the log
        self.lock = threading.Lock()
        self.since: float | None = None

    @property
    def ongoing(self) -> bool:
        return self.since is not None

    def failed(self, reason: str) -> None:
        if self.since is not None:
            return
        with self.lock:
            if self.since is None:
                self.since = time.monotonic()
                self.logger.warning("%s unavailable (%s); %s", self.service, reason, self.meanwhile)

    def ended(self, details: str = "") -> None:
        if self.since is None:
            return
        with self.lock:
            if self.since is not None:
                took = time.monotonic() - self.since
                self.since = None
                self.logger.warning(
                    "%s available again after %.1f s%s", self.service, took, details
                )
