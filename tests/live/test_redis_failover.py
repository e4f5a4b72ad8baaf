"""A Redis failover under Sentinel: the app follows the promoted replica without a restart.

Each test starts a master, a replica and one Sentinel of its own (tests/servers.py,
``RedisSentinel``) and kills the master (SIGKILL); the Sentinel promotes the replica
within a second or two. REDIS_URL is then ``redis+sentinel://…`` (workspace/env.py).
What people see meanwhile, and what is lost: docs/DEPLOY.md, "Redis failover". Run
with ``-s`` to print how long after the master died each part was back.
"""

import asyncio
import contextlib
import json
import shutil
import time
import uuid

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction

from tests.factories import UserFactory
from tests.live.test_redis_outage import Browser, subscribed_tab
from tests.live_helpers import session_cookie
from tests.servers import RedisSentinel, redis_client
from workspace import cache as cache_module
from workspace import live
from workspace.cache import FallbackRedisCache
from workspace.env import redis_host
from workspace.live import layer
from workspace.live.presence import RedisPresence

pytestmark = pytest.mark.skipif(
    not shutil.which("redis-sentinel"), reason="needs redis-server and redis-sentinel"
)
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="daphne shares the test's PostgreSQL database"
)

RECOVERY_LIMIT = 15.0  # seconds for anything to work again after the master died
LOGIN_LIMIT = 30  # allauth's "login" rate: 30 log-in form posts a minute per address
TIMEOUTS = {"socket_timeout": 0.25, "socket_connect_timeout": 0.25}


def test_a_sentinel_url_names_the_sentinels_the_master_and_the_database():
    url = "redis+sentinel://:s%40cret@10.0.0.1,[fd00::2]:26380/main/3?sentinel_password=pw"
    assert redis_host(url, socket_timeout=0.25) == {
        "sentinels": [("10.0.0.1", 26379), ("fd00::2", 26380)],
        "master_name": "main",
        "db": 3,
        "password": "s@cret",
        "socket_timeout": 0.25,
        # The Sentinels get the timeouts too (a dead one costs one timeout), and their own password.
        "sentinel_kwargs": {"socket_timeout": 0.25, "password": "pw"},
    }
    assert redis_host("redis+sentinel://h/main")["db"] == 0
    plain = "redis://cache.internal:6380/2"
    assert redis_host(plain, socket_timeout=0.25) == {"address": plain, "socket_timeout": 0.25}


@pytest.mark.parametrize(
    "url",
    [
        "redis+sentinel://h1:26379/",  # no master name
        "redis+sentinel://h1:26379/main/zero",
        "redis+sentinel://h1:port/main",
        "redis+sentinel://h1,,h2/main",
        "redis+sentinel://h1/main?ssl=1",
    ],
)
def test_a_wrong_sentinel_url_is_refused_at_start_up(url):
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL"):
        redis_host(url)


@pytest.fixture
def sentinel(tmp_path):
    redis = RedisSentinel(tmp_path).start()
    yield redis
    redis.stop()


def replicated(sentinel: RedisSentinel) -> None:
    """Wait until the replica has every write so far. Replication is asynchronous: in
    production the writes of the last moment before a crash may not make it."""
    with redis_client(sentinel.master.port) as master:
        assert master.execute_command("WAIT", 1, 2000) == 1


async def until(check, what: str):
    """Await ``check()`` until it answers something true, for at most RECOVERY_LIMIT."""
    deadline = time.monotonic() + RECOVERY_LIMIT
    while not (answer := await check()):
        assert time.monotonic() < deadline, f"{what} did not recover"
        await asyncio.sleep(0.1)
    return answer


@pytest.fixture
def sentinel_layer(settings, sentinel) -> str:
    """This process's channel layer on the Sentinel-named master, as daphne's would be;
    returns its prefix (daphne's REDIS_PREFIX, so both use the same group names)."""
    prefix = f"wsfo{uuid.uuid4().hex[:10]}"
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [redis_host(sentinel.url, **TIMEOUTS)], "prefix": prefix},
        }
    }
    return prefix


async def test_layer_cache_and_presence_follow_the_promoted_replica(
    sentinel, sentinel_layer, monkeypatch
):
    """In this process: each Redis client the app has, through a failover."""
    hub_channel = layer.HubChannel()  # what each process's hub listens on
    await hub_channel.open()
    await hub_channel.join("probe.open")
    host = redis_host(sentinel.url, **TIMEOUTS)
    options = {name: value for name, value in host.items() if name != "address"}
    cache = FallbackRedisCache(sentinel.url, {"KEY_PREFIX": sentinel_layer, "OPTIONS": options})
    cache.set("kept", "before")
    presence = RedisPresence(host, f"{sentinel_layer}:presence:")
    await presence.add("client.1", json.dumps({"id": 1, "name": "Ana", "socket": "s1"}), 60)
    monkeypatch.setattr(cache_module, "RETRY_AFTER", 0.2)
    await asyncio.to_thread(replicated, sentinel)

    sentinel.master.stop()  # SIGKILL
    cache.set("gap", "only in this process")  # the master is gone: the fallback answers
    assert cache._breaker.ongoing
    assert cache.get("gap") == "only in this process"
    await asyncio.to_thread(sentinel.wait_for_failover)

    # The cache is back on Redis, the promoted replica, with what was replicated; what
    # was written to the fallback meanwhile stayed in that process's memory.
    assert await until(lambda: asyncio.to_thread(cache.get, "kept"), "the cache") == "before"
    assert cache.get("gap") is None
    assert not cache._breaker.ongoing
    # Presence kept its entries and takes new ones.
    assert [person["name"] for person in await presence.members("client.1")] == ["Ana"]
    await presence.add("client.1", json.dumps({"id": 2, "name": "Ben", "socket": "s2"}), 60)
    assert len(await presence.members("client.1")) == 2

    # The hub's channel re-subscribed on the new master by itself: a group message arrives.
    async def delivered():
        layer.send_from_sync("probe.open", {"type": "probe"})  # as a committing thread does
        with contextlib.suppress(TimeoutError):
            return await asyncio.wait_for(hub_channel.receive(), 0.3)

    assert await until(delivered, "the channel layer") == {"type": "probe"}
    await presence.close()
    await layer.get_layer().flush()


def login_posts(browser: Browser, count: int) -> list[int]:
    """Log-in form posts (an empty password: refused before any password hashing, but
    counted by allauth's per-address rate limit, kept in the cache)."""
    form = {"login": "nobody@example.com", "password": ""}
    return [browser.request("POST", "/accounts/login/", form) for _ in range(count)]


@database_sync_to_async
def publish(topic: str, text: str) -> int:
    """One event from this process, through its channel layer (``sentinel_layer``)."""
    with transaction.atomic():
        return live.publish(topic, "test.published", {"text": text}).pk


@on_postgresql
async def test_a_failover_under_daphne_loses_no_event_nor_rate_limit_count(
    serve, sentinel, sentinel_layer
):
    server = await asyncio.to_thread(serve, REDIS_URL=sentinel.url, REDIS_PREFIX=sentinel_layer)
    person = await database_sync_to_async(UserFactory)(full_name="Ana Lima")
    ana = {"cookie": await database_sync_to_async(session_cookie)(person)}
    topic = f"user.{person.pk}"
    socket, received, collecting = await subscribed_tab(server, ana, topic)
    browser = Browser(server)
    published = [await publish(topic, "before")]
    assert await asyncio.to_thread(login_posts, browser, LOGIN_LIMIT - 1) == [200] * 29
    await asyncio.to_thread(replicated, sentinel)

    killed = time.monotonic()
    sentinel.master.stop()  # SIGKILL
    # Published while there is no master: the layer call fails, the event log has it.
    published.append(await publish(topic, "during"))
    await asyncio.to_thread(sentinel.wait_for_failover)
    timeline = {"the Sentinel has promoted the replica": time.monotonic() - killed}
    published.append(await publish(topic, "after"))

    async def all_received():
        return set(published) <= set(received)

    await until(all_received, "event delivery")
    timeline["the tab has every event"] = time.monotonic() - killed
    # daphne's hub is subscribed to the topic on the new master (live, not only swept).
    group = f"{sentinel_layer}__group__live.{topic}"

    async def subscribed_again():
        with redis_client(sentinel.replica.port) as master:
            return dict(master.pubsub_numsub(group)).get(group)

    await until(subscribed_again, "the hub's subscription")
    timeline["daphne's hub is subscribed on the new master"] = time.monotonic() - killed
    assert not layer.outage.ongoing  # and this process's publisher is past its outage
    # The count made before the failover went on: the 30th post passes, the 31st not.
    assert await asyncio.to_thread(login_posts, browser, 2) == [200, 429]

    for label, seconds in timeline.items():  # shown with -s (docs/DEPLOY.md has them)
        print(f"{seconds:5.2f} s after the master died: {label}")
    collecting.cancel()
    await socket.close()
    assert sorted(received) == published  # each once
