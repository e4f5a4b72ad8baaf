"""The cache backend: Redis while it answers, this process's memory while it does not.

The cache is on the request path: allauth keeps its rate limits there (log in,
sign up, password reset). Django's RedisCache raises when Redis is down and, without
socket timeouts, waits as long as Redis hangs, so a Redis outage would turn those
requests into errors. ``FallbackRedisCache`` answers from a per-process in-memory
cache instead, for ``RETRY_AFTER`` seconds after a failure (without asking Redis
meanwhile, so a hanging Redis costs one socket timeout per process, not one per
call), then tries Redis again. The outage is logged when it starts and when it ends.

With Sentinels (``REDIS_URL=redis+sentinel://…``, workspace/env.py) the cache asks
them which server is the master on every new connection (``SentinelCacheClient``):
after a failover the first call on a dropped connection reconnects to the promoted
replica, and the outage, if a call saw one, ends at the next try.

Rate limits while Redis is down: they still apply, but per process instead of
across processes, counted afresh from the start of the outage. With N server
processes someone guessing passwords gets at most N times the allowance for as
long as the outage lasts; people keep being able to log in, which refusing every
rate-limited request (the other choice) would have prevented.
"""

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.sentinel import Sentinel, SentinelConnectionPool

from workspace.outages import Outage

logger = logging.getLogger(__name__)

RETRY_AFTER = 5.0  # seconds the fallback answers alone after Redis failed
FAILURES = (RedisConnectionError, RedisTimeoutError)
OPERATIONS = (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
)


class Breaker(Outage):
    """Whether one Redis location is failing; shared by every thread's cache instance.
    After a failure the cache does not ask Redis again for ``RETRY_AFTER`` seconds."""

    def __init__(self, location: str):
        super().__init__(
            logger,
            "Cache",
            f"answering from this process's memory, trying Redis again every {RETRY_AFTER:.0f} s",
        )
        self.retry_at = 0.0

    def should_try(self) -> bool:
        return time.monotonic() >= self.retry_at

    def failed(self, error: Exception) -> None:
        self.retry_at = time.monotonic() + RETRY_AFTER
        super().failed(repr(error))

    def succeeded(self) -> None:
        self.ended()


_breakers: dict[str, Breaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(location: str) -> Breaker:
    with _breakers_lock:
        return _breakers.setdefault(location, Breaker(location))


class SentinelCacheClient(RedisCacheClient):
    """Django's Redis cache client on the master that Sentinels name, reads included
    (a replica may lag, and a rate limit read there would undercount)."""

    def __init__(self, servers, *, sentinels, master_name, sentinel_kwargs=None, **options):
        super().__init__(servers, **options)
        self._master_name = master_name
        self._sentinel = Sentinel(sentinels, sentinel_kwargs=sentinel_kwargs)

    def _get_connection_pool(self, write):
        if None not in self._pools:
            self._pools[None] = SentinelConnectionPool(
                self._master_name, self._sentinel, **self._pool_options
            )
        return self._pools[None]


class FallbackRedisCache(RedisCache):
    """RedisCache whose operations fall back to local memory while Redis fails."""

    def __init__(self, server, params):
        super().__init__(server, params)
        if "master_name" in self._options:  # LOCATION is then only this cache's name
            self._class = SentinelCacheClient
        local = {key: value for key, value in params.items() if key != "OPTIONS"}
        self._fallback = LocMemCache(f"redis-fallback:{server}", local)
        self._breaker = breaker_for(str(server))

    def _either(self, operation: str, args: tuple, kwargs: dict):
        if self._breaker.should_try():
            try:
                result = getattr(RedisCache, operation)(self, *args, **kwargs)
            except FAILURES as error:
                self._breaker.failed(error)
            else:
                self._breaker.succeeded()
                return result
        return getattr(self._fallback, operation)(*args, **kwargs)


def _falling_back(operation: str):
    def method(self, *args, **kwargs):
        return self._either(operation, args, kwargs)

    method.__name__ = method.__qualname__ = operation
    method.__doc__ = f"RedisCache.{operation}, or the in-memory fallback's while Redis fails."
    return method


for _operation in OPERATIONS:
    setattr(FallbackRedisCache, _operation, _falling_back(_operation))
