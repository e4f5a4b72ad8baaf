#!/usr/bin/env python
"""Reconnect storm: N tabs connect and subscribe, the server restarts, they all come back.

Starts one daphne serving Workspace (``DEBUG=0``; PostgreSQL from ``--database-url``,
default ``$DATABASE_URL``, else a throw-away SQLite file; Redis from ``--redis``,
default ``$REDIS_URL``, else the in-memory layer), prepares N people
(``reconnect-<n>@example.com``) with a session each, ``--clients`` client records with
their chat rooms, and opens one tab per person following ``user.<id>``,
``client.<c>`` and ``room.<c's room>``, each with the last id of a freshly drawn
page (the log's end), as ``static/js/live.js`` does. Then:

1. cold: all N connect and subscribe (at most ``--opening`` handshakes at once);
2. a publisher process writes events on the tabs' topics (``--rate`` a second)
   while daphne is stopped (SIGTERM) and started again; the tabs reconnect with
   live.js's backoff (250 ms doubling, at most 1.5 s, each wait jittered to between
   half and all of it) and send their last ids; the server replays what they missed.

It prints, for each phase: time until every tab is subscribed (the storm: from the
SIGTERM and from the moment the new server answers), server CPU per tab (connect +
authenticate + subscribe + replay), connection attempts, and events lost (published
on a tab's topics after its page was drawn and never received: must be 0). The same
clients then run against a plain ``websockets`` server that answers the subscribe
frame (no session, no policies, no log): the ceiling, in the same run. Loopback only.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ws_bench_reconnect
    REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/reconnect.py            # 3,000 tabs
    REDIS_URL=... .venv/bin/python bench/reconnect.py --tabs 1000 --endpoint-backlog 0  # daphne's
    .venv/bin/python bench/reconnect.py --toy      # 20 tabs, one restart: CI (exit 1 if broken)
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

from bench import toy  # noqa: E402
from bench._procs import async_part, json_part, read_json, run_part  # noqa: E402
from bench.ws_fanout import (  # noqa: E402
    cpu_seconds,
    open_tab,
    percentile,
    raise_fd_limit,
    server_env,
)

EMAIL = "reconnect-{}@example.com"
CLIENT_NAME = "Reconnect bench {}"
FINAL = (4401, 4403)  # close codes after which live.js stops retrying
HTML = '<div id="bench-{n}" hx-swap-oob="true">' + "event text " * 20 + "</div>"


# --- Setup (runs with the server's settings, in its own process) ----------------------


def prepare(tabs: int, clients: int) -> dict:
    """People with a session each, client records with their rooms, and the log's end."""
    from datetime import timedelta

    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from accounts.models import Department
    from chat.services import open_client_room
    from records.models import Client
    from records.services import create_client
    from workspace.live.replay import latest_id

    emails = [EMAIL.format(number) for number in range(tabs)]
    people = toy.people(emails, "Reconnect {}")
    department, _ = Department.objects.get_or_create(slug="sales", defaults={"name": "Sales"})
    people[0].departments.add(department)
    rooms = []
    for number in range(clients):
        client = Client.objects.filter(name=CLIENT_NAME.format(number)).first()
        if client is None:
            client = create_client(actor=people[0], name=CLIENT_NAME.format(number))
        rooms.append((client.pk, open_client_room(client=client).pk))
    store, expiry = SessionStore(), timezone.now() + timedelta(days=1)
    sessions = []
    for person in people:
        data = {
            SESSION_KEY: str(person.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: person.get_session_auth_hash(),
        }
        key = store._get_new_session_key()
        sessions.append(
            Session(session_key=key, session_data=store.encode(data), expire_date=expiry)
        )
    Session.objects.bulk_create(sessions, batch_size=1000)
    tabs_plan = []
    for number, (person, session) in enumerate(zip(people, sessions, strict=True)):
        client, room = rooms[number % clients]
        topics = [f"user.{person.pk}", f"client.{client}", f"room.{room}"]
        tabs_plan.append({"cookie": f"sessionid={session.session_key}", "topics": topics})
    return {"tabs": tabs_plan, "since": latest_id()}


def publish(topics: list[str], rate: float) -> None:
    """Publish events round the topics until told to stop; print {topic: [ids]}."""
    import threading

    import django

    django.setup()
    from django.db import transaction

    from workspace import live

    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
    published: dict[str, list[int]] = {}
    number = 0
    while not stop.wait(1 / rate):
        topic = topics[number % len(topics)]
        with transaction.atomic():
            event = live.publish(topic, "bench.tick", {"n": number}, html=HTML.format(n=number))
        published.setdefault(topic, []).append(event.id)
        number += 1
    print(json.dumps(published), flush=True)


# --- Tabs (in client processes) -------------------------------------------------------


def backoff(tries: int) -> float:
    """live.js: doubling from 250 ms, at most 1.5 s (a visible tab), jittered to 50-100 %."""
    wait = min(1.5, 0.25 * 2**tries)
    return wait / 2 + random.random() * (wait / 2)


class Tab:
    """One browser tab's socket, as live.js runs it: subscribe with last ids, reconnect."""

    def __init__(self, url: str, cookie: str, topics: list[str], since: int | None):
        self.url, self.cookie = url, cookie
        self.last = dict.fromkeys(topics, since)
        self.seen: dict[str, set[int]] = {topic: set() for topic in topics}
        self.subscribed_at: float | None = None
        self.attempts = self.connects = self.resyncs = 0
        self.errors: list[str] = []
        self.closed_for_good = False

    async def run(self, opening: asyncio.Semaphore) -> None:
        tries = 0
        while not self.closed_for_good:
            self.attempts += 1
            try:  # the first opening is paced (pages loading), reconnects are not (a storm)
                async with opening if not self.connects else contextlib.nullcontext():
                    socket = await asyncio.wait_for(open_tab(self.url, self.cookie), 5)
            except Exception:  # refused or timed out: the server is down or busy
                await asyncio.sleep(backoff(tries))
                tries += 1
                continue
            self.connects += 1
            if await self.follow(socket):
                tries = 0
            if not self.closed_for_good:
                await asyncio.sleep(backoff(tries))
                tries += 1

    async def follow(self, socket) -> bool:
        """Subscribe and take frames until the socket closes; whether it got subscribed."""
        waiting = set(self.last)
        try:
            await socket.send(json.dumps({"action": "subscribe", "topics": self.last}))
            async for text in socket:
                self.take(json.loads(text), waiting)
        except Exception:  # noqa: S110 (closed under us: reconnect below)
            pass
        self.subscribed_at = None
        self.closed_for_good = socket.close_code in FINAL
        return not waiting

    def take(self, frame: dict, waiting: set[str]) -> None:
        kind, topic = frame.get("type"), frame.get("topic")
        if kind == "live.event":
            self.seen[topic].add(frame["id"])
            self.last[topic] = max(self.last[topic] or 0, frame["id"])
        elif kind == "live.subscribed":
            waiting.discard(topic)
            if not waiting and self.subscribed_at is None:
                self.subscribed_at = time.monotonic()
        elif kind == "live.resync":
            self.resyncs += 1
            self.last[topic] = frame["id"]
        elif kind == "live.error":
            self.errors.append(json.dumps(frame)[:200])


def tab_report(tabs: list[Tab], expected: dict[str, list[int]] | None) -> dict:
    subscribed = [tab.subscribed_at for tab in tabs if tab.subscribed_at is not None]
    lost = 0
    if expected is not None:
        for tab in tabs:
            lost += sum(len(set(expected.get(t, ())) - tab.seen[t]) for t in tab.seen)
    return {
        "subscribed": len(subscribed),
        "last_subscribed": max(subscribed, default=0.0),
        "subscribed_times": subscribed,
        "attempts": sum(tab.attempts for tab in tabs),
        "connects": sum(tab.connects for tab in tabs),
        "resyncs": sum(tab.resyncs for tab in tabs),
        "closed_for_good": sum(tab.closed_for_good for tab in tabs),
        "errors": [error for tab in tabs for error in tab.errors][:3],
        "lost": lost,
    }


async def run_client(plan: dict) -> None:
    """Run this process's tabs; answer "report" and "check <published json file>"."""
    opening = asyncio.Semaphore(plan["opening"])
    tabs = [Tab(plan["url"], tab["cookie"], tab["topics"], plan["since"]) for tab in plan["tabs"]]
    running = [asyncio.get_running_loop().create_task(tab.run(opening)) for tab in tabs]  # noqa: F841
    while True:
        command = (await asyncio.to_thread(sys.stdin.readline)).split()
        if not command or command[0] == "quit":
            break
        expected = json.loads(Path(command[1]).read_text()) if command[0] == "check" else None
        print(json.dumps(tab_report(tabs, expected)), flush=True)


class Clients:
    """K client processes holding the N tabs between them."""

    def __init__(self, url: str, seed: dict, args, workdir: Path):
        self.processes = []
        for number in range(args.client_processes):
            plan = {"url": url, "since": seed["since"], "opening": args.opening}
            plan["tabs"] = seed["tabs"][number :: args.client_processes]
            path = workdir / f"client-{number}.json"
            path.write_text(json.dumps(plan))
            command = [sys.executable, __file__, "_client", str(path)]
            self.processes.append(
                subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # noqa: S603
            )

    def ask(self, command: str) -> dict:
        for process in self.processes:
            process.stdin.write(command + "\n")
            process.stdin.flush()
        answers = [json.loads(process.stdout.readline()) for process in self.processes]
        merged = {key: answers[0][key] for key in answers[0]}
        for answer in answers[1:]:
            for key, value in answer.items():
                if key == "last_subscribed":
                    merged[key] = max(merged[key], value)
                else:
                    merged[key] = merged[key] + value
        return merged

    def wait_subscribed(self, count: int, since: float, timeout: float) -> dict:
        """Poll until ``count`` tabs are subscribed on a socket opened after ``since``."""
        deadline = time.monotonic() + timeout
        while True:
            report = self.ask("report")
            report["subscribed_times"] = [t for t in report["subscribed_times"] if t > since]
            report["subscribed"] = len(report["subscribed_times"])
            if report["subscribed"] >= count or time.monotonic() > deadline:
                return report
            time.sleep(0.05)

    def stop(self) -> None:
        for process in self.processes:
            try:
                process.stdin.write("quit\n")
                process.stdin.flush()
                process.wait(30)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                process.kill()


# --- The servers ----------------------------------------------------------------------


def free_port() -> int:
    """A loopback port nobody listens on now (benches of other runs may share the machine)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_listening(port: int, process: subprocess.Popen, said=lambda: False) -> None:
    """Until the server answers ``/healthz``, or ``said()`` it listens: in a storm the
    health check waits in the listen queue behind thousands of sockets."""
    deadline = time.monotonic() + 180  # Django's start-up on a busy machine
    while time.monotonic() < deadline and process.poll() is None:
        if said():
            return
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=0.2):
                return
        except urllib.error.HTTPError:
            return  # answering
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"the server on {port} did not start")


class Daphne:
    """Workspace under daphne, restartable; ``backlog`` sets the listen queue (0: daphne's)."""

    def __init__(self, port: int, env: dict, backlog: int, log: Path):
        self.port, self.env, self.log = port, env, log
        endpoint = f"tcp:port={port}:interface=127.0.0.1"
        self.command = [sys.executable, "-m", "daphne", "-e"]
        self.command += [f"{endpoint}:backlog={backlog}" if backlog else endpoint]
        self.command += ["workspace.asgi:application"]
        self.process = None

    def start(self) -> None:
        log = open(self.log, "ab")  # noqa: SIM115 (the server's, until it exits)
        offset = log.tell()
        self.process = subprocess.Popen(  # noqa: S603
            self.command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=log
        )
        log.close()

        def said() -> bool:  # daphne logs it once the port is open
            with open(self.log, "rb") as text:
                text.seek(offset)
                return b"Listening on TCP address" in text.read()

        try:
            wait_listening(self.port, self.process, said)
        except TimeoutError:
            sys.stderr.write(self.log.read_text()[-3000:])
            raise

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Baseline:
    """The ceiling: plain ``websockets``, answering each subscribe frame, nothing else."""

    def __init__(self, port: int):
        self.port, self.process = port, None

    def start(self) -> None:
        command = [sys.executable, __file__, "_baseline", str(self.port)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
        self.process.stdout.readline()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)


async def run_baseline_server(port: int) -> None:
    from websockets.asyncio.server import serve
    from websockets.exceptions import ConnectionClosed

    async def handler(socket) -> None:
        with contextlib.suppress(ConnectionClosed):  # the server restarting under its tabs
            async for text in socket:
                topics = json.loads(text).get("topics") or {}
                for topic in topics:
                    await socket.send(json.dumps({"type": "live.subscribed", "topic": topic}))

    async with serve(handler, "127.0.0.1", port, compression=None, ping_interval=None):
        print("listening", flush=True)
        await asyncio.Future()


# --- One run ----------------------------------------------------------------------------


def storm(server, start_clients, tabs: int, publisher, timeout: float) -> dict:
    """Cold connect, then a restart with events published meanwhile; the figures."""
    started, cpu = time.monotonic(), cpu_seconds(server.process.pid)
    clients = start_clients()
    try:
        cold = clients.wait_subscribed(tabs, started, timeout)
        figures = {
            "cold_s": round(cold["last_subscribed"] - started, 2),
            "cold_cpu_ms": round(1000 * (cpu_seconds(server.process.pid) - cpu) / tabs, 2),
            "cold_subscribed": cold["subscribed"],
        }
        print(f"cold: {figures}", flush=True)  # even if the storm goes wrong
        if publisher is not None:
            publisher.begin()
        time.sleep(1)
        killed = time.monotonic()
        server.stop()
        stopped = time.monotonic()
        server.start()
        up, cpu = time.monotonic(), cpu_seconds(server.process.pid)
        report = clients.wait_subscribed(tabs, killed, timeout)
        cpu = cpu_seconds(server.process.pid) - cpu
        times = sorted(report["subscribed_times"])
        last = times[-1] if len(times) >= tabs else None  # None: not all came back
        figures |= {
            "stop_s": round(stopped - killed, 2),
            "restart_s": round(up - killed, 2),
            "storm_s": round(last - killed, 2) if last else None,
            "after_up_s": round(last - up, 2) if last else None,
            "half_after_up_s": round(percentile(times, 0.5) - up, 2) if times else None,
            "storm_cpu_ms": round(1000 * cpu / tabs, 2),
            "subscribed": report["subscribed"],
            "attempts": report["attempts"] - cold["attempts"],
        }
        if publisher is not None:
            time.sleep(1)  # events keep coming to the tabs now back
            figures |= publisher.finish(clients)
        figures["errors"] = report["errors"]
        return figures
    finally:
        clients.stop()


class Publisher:
    """Events on the tabs' topics from another process, across the restart."""

    def __init__(self, env: dict, topics: list[str], rate: float, workdir: Path):
        self.env, self.topics, self.rate, self.workdir = env, topics, rate, workdir

    def begin(self) -> None:
        command = [sys.executable, __file__, "_publish", str(self.rate), *self.topics]
        self.process = subprocess.Popen(  # noqa: S603
            command,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def finish(self, clients: Clients) -> dict:
        published, _ = self.process.communicate("stop\n", timeout=60)
        path = self.workdir / "published.json"
        path.write_text(published)
        events = json.loads(published)
        deadline = time.monotonic() + 10  # the last events' delivery, or the sweep's
        while True:
            report = clients.ask(f"check {path}")
            if not report["lost"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        count = sum(len(ids) for ids in events.values())
        return {"events": count, "lost": report["lost"], "resyncs": report["resyncs"]}


def bench_workspace(args, workdir: Path) -> dict:
    database = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    env = server_env(database, args.redis)
    env["DB_CONN_MAX_AGE"] = "600"
    run = {"cwd": ROOT, "env": env, "check": True}
    if not (args.toy and args.database_url):  # a toy run takes CI's database as it is
        subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], **run)
    made = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "_prepare", str(args.tabs), str(args.records)],
        capture_output=True,
        text=True,
        **run,
    )
    seed = json.loads(made.stdout.strip().splitlines()[-1])
    topics = sorted({topic for tab in seed["tabs"] for topic in tab["topics"][1:]})
    topics += [tab["topics"][0] for tab in seed["tabs"][:: max(1, args.tabs // 50)]]
    server = Daphne(args.port, env, args.endpoint_backlog, workdir / "daphne.log")
    server.start()
    try:
        publisher = Publisher(env, topics, args.rate, workdir)
        url = f"ws://localhost:{args.port}/ws/"
        return storm(
            server, lambda: Clients(url, seed, args, workdir), args.tabs, publisher, args.timeout
        )
    finally:
        server.stop()


def bench_baseline(args, workdir: Path) -> dict:
    tabs = [
        {"cookie": "none=1", "topics": ["user.1", "client.1", "room.1"]} for _ in range(args.tabs)
    ]
    port = free_port()
    server = Baseline(port)
    server.start()
    try:
        url, seed = f"ws://localhost:{port}/ws/", {"tabs": tabs, "since": 0}
        return storm(
            server, lambda: Clients(url, seed, args, workdir), args.tabs, None, args.timeout
        )
    finally:
        server.stop()


def show(label: str, result: dict) -> None:
    line = (
        f"{label:<26} cold: {result['cold_subscribed']} tabs in {result['cold_s']} s, "
        f"{result['cold_cpu_ms']} ms CPU/tab | "
        f"restart {result['restart_s']} s (stop {result['stop_s']} s), "
        f"all {result['subscribed']} back {result['storm_s']} s after SIGTERM "
        f"({result['after_up_s']} s after up, half {result['half_after_up_s']} s), "
        f"{result['storm_cpu_ms']} ms CPU/tab, {result['attempts']} attempts"
    )
    if "events" in result:
        line += f" | {result['events']} events published, lost {result['lost']}"
    print(line, flush=True)
    for error in result["errors"]:
        print(f"  error frame: {error}")


def broken(result: dict, tabs: int) -> list[str]:
    """What makes the run a failure (the --toy exit status)."""
    problems = []
    if result["cold_subscribed"] < tabs or result["subscribed"] < tabs:
        problems.append("not every tab subscribed")
    if result.get("lost"):
        problems.append(f"{result['lost']} events lost")
    if result.get("events") == 0:
        problems.append("nothing was published")
    if result["errors"]:
        problems.append("error frames")
    return problems


def main(argv: list[str]) -> int:
    parts = {
        "_client": async_part(run_client, read_json),
        "_prepare": json_part(prepare, int, int),
        "_publish": lambda rate, *topics: publish(list(topics), float(rate)),
        "_baseline": async_part(run_baseline_server, int),
    }
    if run_part(argv, parts):
        return 0

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tabs", type=int, default=3000)
    parser.add_argument("--records", type=int, default=30, help="clients (and rooms) followed")
    parser.add_argument("--rate", type=float, default=20, help="events a second meanwhile")
    parser.add_argument(
        "--opening", type=int, default=100, help="first handshakes at once, per client process"
    )
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--endpoint-backlog", type=int, default=4096, help="0: daphne's own")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait per phase")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL"), help="default $REDIS_URL")
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--toy", action="store_true", help="20 tabs, one restart (CI)")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)
    if args.toy:
        args.tabs, args.records, args.client_processes, args.timeout = 20, 3, 1, 30
    if not 0 < args.tabs <= 9000:
        parser.error("0 < tabs <= 9000 (open files)")
    raise_fd_limit()
    args.port = args.port or free_port()
    print(f"load average: {Path('/proc/loadavg').read_text().strip()}", flush=True)
    results = {}
    with tempfile.TemporaryDirectory(prefix="reconnect-bench-") as workdir:
        results["workspace"] = bench_workspace(args, Path(workdir))
        show("daphne (Workspace)", results["workspace"])
        if not args.no_baseline:
            results["baseline"] = bench_baseline(args, Path(workdir))
            show("plain websockets", results["baseline"])
    if args.json:
        print(json.dumps(results))
    problems = broken(results["workspace"], args.tabs)
    for problem in problems:
        print(f"BROKEN: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
