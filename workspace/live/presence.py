"""Who is looking at a topic now: ephemeral, never in the event log.

Each socket that says it is "here" on a topic adds one member entry with an
expiry. Its process refreshes the entries of its sockets every third of the
time-to-live and removes them on disconnect; entries of a process that died
simply expire. With ``REDIS_URL`` the entries live in Redis (a sorted set per
topic scored by expiry) so every process sees everyone; otherwise in memory.
"""

import json
import time

from django.conf import settings


def member_entry(user, socket_id: str) -> str:
    """The stored form of one socket's presence: what viewers are shown, plus the socket."""
    return json.dumps(
        {
            "id": user.pk,
            "name": str(user),
            "initials": user.initials,
            "colour": user.avatar_colour,
            "socket": socket_id,
        },
        sort_keys=True,
    )


def people(entries) -> list[dict]:
    """One item per person (a person may have several tabs), sorted by name."""
    found = {}
    for raw in entries:
        entry = json.loads(raw)
        entry.pop("socket", None)
        found[entry["id"]] = entry
    return sorted(found.values(), key=lambda entry: (entry["name"].lower(), entry["id"]))


class MemoryPresence:
    """One process's presence: the embedded default."""

    def __init__(self):
        self.topics: dict[str, dict[str, float]] = {}

    async def add(self, topic: str, entry: str, ttl: float) -> None:
        self.topics.setdefault(topic, {})[entry] = time.time() + ttl

    async def remove(self, topic: str, entry: str) -> None:
        entries = self.topics.get(topic, {})
        entries.pop(entry, None)
        if not entries:
            self.topics.pop(topic, None)

    async def members(self, topic: str) -> list[dict]:
        entries = self.topics.get(topic, {})
        now = time.time()
        for entry, expires in list(entries.items()):
            if expires <= now:
                del entries[entry]
        return people(entries)

    async def refresh(self, pairs, ttl: float) -> None:
        for topic, entry in pairs:
            await self.add(topic, entry, ttl)

    async def close(self) -> None:
        self.topics.clear()


class RedisPresence:
    """Presence shared by every process through Redis."""

    def __init__(self, host: dict, prefix: str):
        from channels_redis.utils import create_pool
        from redis import asyncio as aioredis

        # The channel layer's own pool factory: one server, or the master Sentinels name.
        self.redis = aioredis.Redis(connection_pool=create_pool(host))
        self.prefix = prefix

    async def add(self, topic: str, entry: str, ttl: float) -> None:
        key = self.prefix + topic
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(key, {entry: time.time() + ttl})
            pipe.pexpire(key, max(1000, int(ttl * 2000)))
            await pipe.execute()

    async def remove(self, topic: str, entry: str) -> None:
        await self.redis.zrem(self.prefix + topic, entry)

    async def members(self, topic: str) -> list[dict]:
        key = self.prefix + topic
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zremrangebyscore(key, "-inf", time.time())
            pipe.zrange(key, 0, -1)
            _, entries = await pipe.execute()
        return people(entry.decode() for entry in entries)

    async def refresh(self, pairs, ttl: float) -> None:
        expires = time.time() + ttl
        async with self.redis.pipeline(transaction=False) as pipe:
            for topic, entry in pairs:
                pipe.zadd(self.prefix + topic, {entry: expires})
                pipe.pexpire(self.prefix + topic, max(1000, int(ttl * 2000)))
            await pipe.execute()

    async def close(self) -> None:
        await self.redis.aclose(close_connection_pool=True)


def make_store():
    if not settings.REDIS_HOST:
        return MemoryPresence()
    # Share the channel layer's key prefix, so separate deployments (or test runs)
    # on one Redis never see each other's presence.
    layer_prefix = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "asgi")
    return RedisPresence(settings.REDIS_HOST, f"{layer_prefix}:live:presence:")
