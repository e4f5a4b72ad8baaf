"""Real daphne processes for multi-process and browser tests.

``server_db`` gives a database URL that server subprocesses share with the
test: the PostgreSQL test database when the suite runs on PostgreSQL (the test
is then transactional, so what it writes is visible), otherwise a fresh SQLite
file migrated once per session. ``serve()`` starts daphne on a free loopback
port against it, with the suite's REDIS_URL (if any) and a private Redis key
prefix, and stops it afterwards.
"""

import contextlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import redis
import redis.sentinel
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
STOP_GRACE_SECONDS = 2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerDatabase:
    def __init__(self, url: str):
        self.url = url
        self.prefix = f"wstest{uuid.uuid4().hex[:10]}"
        self.idle: list[Server] = []  # kept for the next test (shared databases only)

    def idle_server(self) -> "Server | None":
        """A daphne a finished test left running with the default environment, if any."""
        while self.idle:
            server = self.idle.pop()
            if server.process and server.process.poll() is None:
                return server
        return None

    def keep(self, server: "Server") -> None:
        self.idle.append(server)

    def forget_redis_keys(self) -> None:
        """Delete what the servers kept in Redis under this prefix (cache, rate limits,
        presence), so the next test starts from nothing as with a prefix of its own."""
        if not settings.REDIS_URL:
            return
        client = suite_redis()
        try:
            keys = list(client.scan_iter(match=f"{self.prefix}*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()

    def close(self) -> None:
        self.stop_helper()
        for server in self.idle:
            server.stop()
        self.idle.clear()

    def env(self, **extra) -> dict:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.url,
            REDIS_PREFIX=self.prefix,
            DEBUG="0",
            ALLOWED_HOSTS="localhost,127.0.0.1",
            SECURE_SSL_REDIRECT="0",
            STATIC_FROM_SOURCE="1",
            # After what the run already has (tests/clock.py may have put its site there).
            PYTHONPATH=os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(ROOT)])),
            DJANGO_SETTINGS_MODULE="workspace.settings",
        )
        env.update(extra)
        return env

    def run(self, *args: str, script: str = "tests.serverctl", **env) -> dict:
        """Run tests/serverctl.py (or another ``script`` module) against the servers'
        database; returns its JSON answer. A serverctl command with the servers'
        own settings goes to this database's long-lived serverctl (``helper``)."""
        if script == "tests.serverctl" and not env and (helper := self.helper()):
            return helper.ask(list(args))
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-m", script, *args],
            cwd=ROOT,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    def helper(self) -> "Helper | None":
        """This database's serverctl process, started on first use; None while another
        thread uses it (that caller then starts a process of its own)."""
        if getattr(self, "_helper", None) is None or self._helper.process.poll() is not None:
            self._helper = Helper(self.env())
        return self._helper if self._helper.lock.acquire(blocking=False) else None

    def run_code(self, code: str, *args) -> dict:
        """Run Python ``code`` with Django set up against the servers' database (see
        tests/serverctl.py); returns the JSON its last printed line holds."""
        helper = self.helper()
        if helper is None:  # busy: wait for it
            self._helper.lock.acquire()
            helper = self._helper
        return helper.ask({"code": code, "args": list(args)})

    def stop_helper(self) -> None:
        if getattr(self, "_helper", None) is not None:
            self._helper.stop()
            self._helper = None


def suite_redis(**timeouts) -> redis.Redis:
    """A client of the Redis the suite runs against: ``REDIS_URL``'s server, or the
    master its Sentinels name (``redis+sentinel://``, workspace/env.py)."""
    host = dict(settings.REDIS_HOST, **timeouts)
    if "sentinels" not in host:
        return redis.Redis.from_url(host.pop("address"), **host)
    sentinels, name = host.pop("sentinels"), host.pop("master_name")
    sentinel = redis.sentinel.Sentinel(sentinels, sentinel_kwargs=host.pop("sentinel_kwargs"))
    return sentinel.master_for(name, **host)


class Helper:
    """A ``python -m tests.serverctl --stdin`` process: one command per line, so a test
    pays Django's start-up once, not per command. ``ask`` expects the caller to hold
    ``lock`` (ServerDatabase.helper took it) and releases it."""

    ANSWER_TIMEOUT = 120  # seed_demo on a busy machine

    def __init__(self, env: dict):
        self.lock = threading.Lock()
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.serverctl", "--stdin"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
        )

    def ask(self, request) -> dict:
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            ready, _, _ = select.select([self.process.stdout], [], [], self.ANSWER_TIMEOUT)
            line = self.process.stdout.readline() if ready else ""
            if not line:  # never let a late answer be read as the next request's
                self.process.kill()
                self.process.wait(5)
        finally:
            self.lock.release()
        assert line, f"serverctl did not answer {request!r}: {self.stderr()}"
        answer = json.loads(line)
        assert "error" not in answer, answer.get("error")
        return answer["result"]

    def stderr(self) -> str:
        self.errors.seek(0)
        return self.errors.read().decode(errors="replace")[-3000:]

    def stop(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.process.stdout.close()
        self.errors.close()


class Server:
    def __init__(self, database: ServerDatabase, port: int | None = None, **env):
        self.database = database
        self.port = port or free_port()
        self.env = database.env(**env)
        self.process = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def start(self, timeout: float = 30) -> "Server":
        # A file of its own per start: parallel test runs may reuse a port.
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115
            prefix=f"workspace-daphne-{self.port}-", suffix=".log", delete=False
        )
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port)]
        self.process = subprocess.Popen(  # noqa: S603
            [*command, "workspace.asgi:application"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"daphne exited; see {self.log.name}"
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:  # noqa: S310
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"daphne on port {self.port} did not start; see {self.log.name}")

    def stop(self, kill: bool = False) -> None:
        """Stop daphne: SIGTERM, then SIGKILL if it still waits (open sockets make it wait
        up to 10 s for them to close, which no test needs), or SIGKILL at once."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.process.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None
        if getattr(self, "log", None):
            self.log.close()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    path = tmp_path_factory.mktemp("server-db") / "template.sqlite3"
    database = ServerDatabase(f"sqlite:///{path}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=database.env(),
        check=True,
        timeout=300,
    )
    return path


# On PostgreSQL every test of a pytest process uses the same test database (emptied
# after each test), so the servers' side is shared too: one ServerDatabase per process
# (one Redis prefix, one serverctl helper), and a daphne started with the default
# environment is kept for the next test instead of stopped. A start costs ~2.5 s of
# CPU, a serverctl ~1.2 s; a hundred tests use them (docs/ARCHITECTURE.md, "Tests
# and CI"). Between tests the prefix's Redis keys are deleted; ids are never reused
# (the emptying does not reset sequences), so nothing a server remembers of a
# person or a topic can meet the next test's. SQLite gets a fresh file per test.
SHARED_DATABASES: dict[str, ServerDatabase] = {}


def close_shared_databases() -> None:
    """At the end of the run: stop the kept servers and serverctl helpers."""
    for database in SHARED_DATABASES.values():
        database.close()
    SHARED_DATABASES.clear()


def postgres_test_database_url() -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{connection.settings_dict['NAME']}"


@pytest.fixture
def server_db(request, tmp_path, transactional_db):
    if connection.vendor == "postgresql":
        url = postgres_test_database_url()
        if url not in SHARED_DATABASES:
            SHARED_DATABASES[url] = ServerDatabase(url)
        database = SHARED_DATABASES[url]
        yield database
        database.forget_redis_keys()
        return
    path = tmp_path / "server.sqlite3"
    shutil.copy(request.getfixturevalue("migrated_sqlite"), path)
    database = ServerDatabase(f"sqlite:///{path}")
    yield database
    database.close()


@pytest.fixture
def serve(server_db):
    """``serve(**env)`` gives a running daphne on the servers' database. One with the
    default environment, still running when the test ends, is kept for the next test
    on a shared database; the others stop at teardown."""
    started = []
    shared = server_db.url in SHARED_DATABASES

    def start(**env) -> Server:
        reusable = shared and not env
        server = (reusable and server_db.idle_server()) or Server(server_db, **env).start()
        server.reusable = reusable
        started.append(server)
        return server

    yield start
    for server in started:
        if server.reusable and server.process and server.process.poll() is None:
            server_db.keep(server)
        else:
            server.stop()


class RedisServer:
    """A redis-server of a test's own, on a free loopback port, that the test can stop
    and start again (same port, nothing persisted) to make an outage."""

    def __init__(self, directory: Path, *options: str):
        self.port = free_port()
        self.directory = directory
        self.options = options  # more redis-server arguments (RedisSentinel's replica)
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> "RedisServer":
        self.process = subprocess.Popen(  # noqa: S603
            [
                *(shutil.which("redis-server") or "redis-server", "--port", str(self.port)),
                *("--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
                *("--dir", str(self.directory), *self.options),
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"redis-server on port {self.port} did not start")

    def stop(self, kill: bool = True) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            self.process.wait(10)
        self.process = None


def redis_client(port: int) -> redis.Redis:
    """A client of the Redis (or Sentinel) on ``port``, for a test to look and poke."""
    return redis.Redis(port=port, socket_timeout=2, decode_responses=True)


class RedisSentinel:
    """A Redis master, a replica of it and one Sentinel watching them, on free loopback
    ports: kill ``master`` and the Sentinel (quorum 1, down after 300 ms) promotes
    ``replica`` within a few seconds. ``url`` is the app's REDIS_URL for it."""

    MASTER_NAME = "wsmaster"

    def __init__(self, directory: Path):
        for name in ("master", "replica", "sentinel"):
            (directory / name).mkdir()
        # No diskless-sync delay: the replica syncs at once, not after 5 s.
        self.master = RedisServer(directory / "master", "--repl-diskless-sync-delay", "0")
        self.replica = RedisServer(
            directory / "replica", "--replicaof", "127.0.0.1", str(self.master.port)
        )
        self.directory = directory / "sentinel"
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis+sentinel://127.0.0.1:{self.port}/{self.MASTER_NAME}/0"

    def start(self, timeout: float = 20) -> "RedisSentinel":
        self.master.start()
        self.replica.start()
        # Watched only once the replica is in sync, so the Sentinel's first look at the
        # master finds it (it would otherwise look again ten seconds later).
        self._wait(timeout, self._replica_in_sync, "the replica did not sync")
        config = self.directory / "sentinel.conf"
        config.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {self.directory}\n"
            f"sentinel monitor {self.MASTER_NAME} 127.0.0.1 {self.master.port} 1\n"
            f"sentinel down-after-milliseconds {self.MASTER_NAME} 300\n"
            f"sentinel failover-timeout {self.MASTER_NAME} 3000\n"
        )
        self.process = subprocess.Popen(  # noqa: S603
            [shutil.which("redis-sentinel") or "redis-sentinel", str(config)],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        self._wait(timeout, self._replica_known, "the Sentinel did not find the replica")
        return self

    def wait_for_failover(self, timeout: float = 20) -> None:
        """Until the failover is over: the Sentinel lists the replica as the master, with
        no failover in progress (while one is, clients may still be given the old master;
        and a 300 ms down-after makes the Sentinel doubt the new master for a moment too)."""
        self._wait(timeout, self._promoted, "the Sentinel did not promote the replica")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None
        self.replica.stop()
        self.master.stop()

    def _replica_in_sync(self) -> bool:
        with redis_client(self.replica.port) as replica:
            return replica.info("replication").get("master_link_status") == "up"

    def _replica_known(self) -> bool:
        with redis_client(self.port) as sentinel:
            replicas = sentinel.sentinel_slaves(self.MASTER_NAME)
        return any(replica["port"] == self.replica.port for replica in replicas)

    def _promoted(self) -> bool:
        with redis_client(self.port) as sentinel:
            master = sentinel.sentinel_master(self.MASTER_NAME)
        return master["port"] == self.replica.port and master["flags"] == "master"

    @staticmethod
    def _wait(timeout: float, done, failure: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                if done():
                    return
            time.sleep(0.05)
        raise TimeoutError(failure)
