#!/usr/bin/env python
"""Fan-out benchmark for the live bus: N sockets on one topic, events through ``notify``.

Starts daphne process(es) serving Workspace (plus benchmark-only endpoints,
bench/asgi.py) on a throw-away SQLite database (or ``--database-url``, already
migrated), opens N authenticated sockets subscribed to one user's feed
(``user.<id>``), triggers events through the normal ``notify`` service, and
prints: sockets held; latency from commit to receipt at the *last* socket (p50,
p99, max); deliveries per second in a burst; events lost; server RSS and KB
per idle socket. Then it runs the same clients against a plain ``websockets``
broadcast server (the Python ceiling on this machine) and prints the ratio.
Loopback only, free ports; bounded counts and time. Exits 1 when a socket was
not held or an event was lost, in either run.

    .venv/bin/python bench/ws_fanout.py --sockets 1000                 # embedded default
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/ws_fanout.py --sockets 3000
    REDIS_URL=... .venv/bin/python bench/ws_fanout.py --sockets 10000 --processes 2 --clients 2
    .venv/bin/python bench/ws_fanout.py --sockets 1000 --baseline      # the ceiling alone
    .venv/bin/python bench/ws_fanout.py --toy     # CI: 5 sockets on $DATABASE_URL (if set)
"""

import argparse
import asyncio
import json
import os
import re
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # never bench/: its modules must not hide the standard library's
from bench import toy  # noqa: E402 (after the path is right)

NOTIFICATION_ID = re.compile(r'"notification":(\d+)')


def raise_fd_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# --- Clients (a subprocess each, so they can use another core) ----------------------


async def open_tab(url: str, cookie: str):
    """A socket opened as a signed-in browser tab would (same origin, session cookie),
    without compression or pings, and keeping every frame it receives."""
    from websockets.asyncio.client import connect

    return await connect(
        url,
        origin=url.replace("ws://", "http://").removesuffix("/ws/"),
        additional_headers={"Cookie": cookie},
        compression=None,
        ping_interval=None,
        open_timeout=60,
        max_queue=None,
    )


async def run_client(urls: list[str], count: int, cookie: str, topic: str) -> None:

    receipts: dict[int, list] = {}  # notification id -> [count, last receipt]
    sizes = []
    sockets = []
    opening = asyncio.Semaphore(100)

    async def listen(socket) -> None:
        try:
            async for text in socket:
                match = NOTIFICATION_ID.search(text)
                if match:
                    now = time.monotonic()
                    if len(sizes) < 10:
                        sizes.append(len(text.encode()))
                    entry = receipts.setdefault(int(match.group(1)), [0, now])
                    entry[0] += 1
                    entry[1] = now
        except Exception:  # noqa: S110 (a closed socket is counted as not held)
            pass

    async def open_one(number: int) -> None:
        async with opening:
            socket = await open_tab(urls[number % len(urls)], cookie)
            await socket.send(json.dumps({"action": "subscribe", "topics": {topic: None}}))
            while '"live.subscribed"' not in await socket.recv():
                pass
        sockets.append(socket)
        asyncio.get_running_loop().create_task(listen(socket))

    await asyncio.gather(*(open_one(number) for number in range(count)))
    print(json.dumps({"ready": len(sockets)}), flush=True)
    while True:
        command = (await asyncio.to_thread(sys.stdin.readline)).strip()
        if command == "report":
            held = sum(1 for socket in sockets if socket.close_code is None)
            size = round(statistics.mean(sizes)) if sizes else 0
            print(json.dumps({"held": held, "receipts": receipts, "size": size}), flush=True)
        elif command in ("quit", ""):
            break
    for socket in sockets:
        await socket.close()


class Clients:
    """K client processes holding N sockets between them."""

    def __init__(self, urls, count, cookie, topic, processes):
        self.processes = []
        for number in range(processes):
            share = count // processes + (1 if number < count % processes else 0)
            command = [sys.executable, __file__, "_client", "--count", str(share)]
            command += ["--cookie", cookie, "--topic", topic, *urls]
            self.processes.append(
                subprocess.Popen(  # noqa: S603
                    command,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        self.ready = sum(
            json.loads(process.stdout.readline())["ready"] for process in self.processes
        )

    def report(self) -> tuple[int, dict[int, list]]:
        held, merged = 0, {}
        self.frame_bytes = 0
        for process in self.processes:
            process.stdin.write("report\n")
            process.stdin.flush()
        for process in self.processes:
            answer = json.loads(process.stdout.readline())
            held += answer["held"]
            self.frame_bytes = max(self.frame_bytes, answer["size"])
            for key, (count, last) in answer["receipts"].items():
                entry = merged.setdefault(int(key), [0, 0.0])
                entry[0] += count
                entry[1] = max(entry[1], last)
        return held, merged

    def wait_for(self, ids: list[int], expected: int, timeout: float) -> tuple[int, dict]:
        deadline = time.monotonic() + timeout
        while True:
            held, receipts = self.report()
            if all(receipts.get(i, [0])[0] >= expected for i in ids) or time.monotonic() > deadline:
                return held, receipts
            time.sleep(0.2)

    def stop(self) -> None:
        for process in self.processes:
            try:
                process.stdin.write("quit\n")
                process.stdin.flush()
            except BrokenPipeError:
                pass
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


# --- The servers under test -----------------------------------------------------------


def server_env(database_url: str, redis_url: str | None) -> dict:
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=env.get("SECRET_KEY") or secrets.token_urlsafe(40),
        DEBUG="0",
        ALLOWED_HOSTS="localhost,127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        STATIC_FROM_SOURCE="1",
        LOG_LEVEL="WARNING",
        REDIS_PREFIX=env.get("REDIS_PREFIX") or f"bench{secrets.token_hex(4)}",
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="workspace.settings",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def migrate(env: dict) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


def start_daphne(port: int, env: dict) -> subprocess.Popen:
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "bench.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"daphne on {port} did not start")


def bench_call(port: int, endpoint: str, **query):
    """POST to one of bench/asgi.py's endpoints; its JSON answer."""
    url = f"http://127.0.0.1:{port}/__bench/{endpoint}?{urllib.parse.urlencode(query)}"
    request = urllib.request.Request(url, method="POST")
    with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
        return json.loads(response.read())


def notify(port: int, user: int, count: int, gap: float) -> list[tuple[int, float]]:
    answer = bench_call(port, "notify", recipient=user, count=count, gap=gap)
    return [tuple(item) for item in answer]


# --- The ceiling: a plain websockets broadcast server ---------------------------------


async def run_baseline_server(port: int, frame_bytes: int) -> None:
    from websockets.asyncio.server import broadcast, serve

    listeners = set()
    padding = "x" * max(0, frame_bytes - 120)
    sequence = iter(range(1, 10**9))

    async def handler(socket) -> None:
        if socket.request.path == "/control":
            async for command in socket:
                count, gap = command.split()
                results = []
                for _ in range(int(count)):
                    number = next(sequence)
                    started = time.monotonic()
                    # Serialized once, written to every socket: the same work as the hub.
                    frame = json.dumps(
                        {
                            "type": "live.event",
                            "topic": "user.1",
                            "id": number,
                            "kind": "bench",
                            "html": padding,
                            "payload": {"notification": number},
                        },
                        separators=(",", ":"),
                    )
                    broadcast(listeners, frame)
                    results.append([number, started])
                    if float(gap):
                        await asyncio.sleep(float(gap))
                await socket.send(json.dumps(results))
            return
        async for _ in socket:  # the subscribe frame
            listeners.add(socket)
            await socket.send('{"type":"live.subscribed"}')
        listeners.discard(socket)

    async with serve(handler, "127.0.0.1", port, compression=None, ping_interval=None):
        print("listening", flush=True)
        await asyncio.Future()


def baseline_notify(port: int, count: int, gap: float) -> list:
    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{port}/control") as control:
        control.send(f"{count} {gap}")
        return [tuple(item) for item in json.loads(control.recv(timeout=600))]


# --- One measurement --------------------------------------------------------------------


def measure(args, *, urls, cookie, topic, trigger, pids) -> dict:
    rss_before = sum(rss_kb(pid) for pid in pids)
    started = time.monotonic()
    clients = Clients(urls, args.sockets, cookie, topic, args.clients)
    connect_seconds = time.monotonic() - started
    try:
        time.sleep(args.settle)
        rss_idle = sum(rss_kb(pid) for pid in pids)
        # Paced: one event every --interval seconds; latency to the last socket.
        paced = trigger(args.events, args.interval)
        held, receipts = clients.wait_for([i for i, _ in paced], clients.ready, 30)
        latencies, lost = [], 0
        for notification, committed in paced:
            count, last = receipts.get(notification, [0, committed])
            lost += clients.ready - count
            latencies.append((last - committed) * 1000)
        # Burst: events back to back; deliveries per second sustained.
        cpu_before = sum(cpu_seconds(pid) for pid in pids)
        burst = trigger(args.burst, 0) if args.burst else []
        held, receipts = clients.wait_for([i for i, _ in burst], clients.ready, 60)
        burst_rate = cpu_per_delivery = 0.0
        if burst:
            delivered = sum(receipts.get(i, [0])[0] for i, _ in burst)
            lost += clients.ready * len(burst) - delivered
            span = max(receipts.get(i, [0, 0.0])[1] for i, _ in burst) - burst[0][1]
            burst_rate = delivered / span if span > 0 else 0.0
            cpu_per_delivery = (sum(cpu_seconds(pid) for pid in pids) - cpu_before) / delivered
        rss_after = sum(rss_kb(pid) for pid in pids)
        frame_bytes = clients.frame_bytes
    finally:
        clients.stop()
    return {
        "sockets": args.sockets,
        "held": held,
        "connect_s": round(connect_seconds, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1),
        "fanout_per_s": round(args.sockets / max(statistics.median(latencies) / 1000, 1e-6)),
        "burst_per_s": round(burst_rate),
        "server_cpu_us_per_delivery": round(cpu_per_delivery * 1e6, 1),
        "lost": lost,
        "rss_mb": round(rss_after / 1024, 1),
        "kb_per_socket": round((rss_idle - rss_before) / args.sockets, 1),
        "frame_bytes": frame_bytes,
    }


def bench_workspace(args) -> dict:
    if args.database_url:
        env = server_env(args.database_url, args.redis)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="ws-bench-"))
        env = server_env(f"sqlite:///{workdir / 'bench.sqlite3'}", args.redis)
        migrate(env)
    ports = [toy.free_port() for _ in range(args.processes)]
    servers = [start_daphne(port, env) for port in ports]
    try:
        seed = bench_call(ports[0], "session")  # the person whose feed the sockets follow
        return measure(
            args,
            urls=[f"ws://localhost:{port}/ws/" for port in ports],
            cookie=seed["cookie"],
            topic=f"user.{seed['user']}",
            trigger=lambda count, gap: notify(ports[0], seed["user"], count, gap),
            pids=[server.pid for server in servers],
        )
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
            server.wait(30)


def bench_baseline(args) -> dict:
    port = toy.free_port()
    command = [sys.executable, __file__, "_baseline", "--port", str(port)]
    command += ["--frame-bytes", str(args.frame_bytes)]
    server = subprocess.Popen(  # noqa: S603
        command,
        stdout=subprocess.PIPE,
        text=True,
    )
    server.stdout.readline()
    try:
        return measure(
            args,
            urls=[f"ws://localhost:{port}/ws/"],
            cookie="none=1",
            topic="user.1",
            trigger=lambda count, gap: baseline_notify(port, count, gap),
            pids=[server.pid],
        )
    finally:
        server.terminate()
        server.wait(30)


def show(label: str, result: dict) -> None:
    print(
        f"{label:<34} sockets {result['held']:>6}/{result['sockets']:<6} "
        f"last-socket p50 {result['p50_ms']:>7.1f} ms  p99 {result['p99_ms']:>7.1f} ms  "
        f"max {result['max_ms']:>7.1f} ms  fan-out {result['fanout_per_s']:>7}/s  "
        f"burst {result['burst_per_s']:>7}/s "
        f"(server CPU {result['server_cpu_us_per_delivery']} µs each)  lost {result['lost']}  "
        f"RSS {result['rss_mb']} MB ({result['kb_per_socket']} KB/socket)",
        flush=True,
    )


def broken(label: str, result: dict) -> list[str]:
    """What makes a run a failure: sockets not held, events lost."""
    problems = []
    if result["held"] < result["sockets"]:
        problems.append(f"{label}: {result['held']} of {result['sockets']} sockets held")
    if result["lost"]:
        problems.append(f"{label}: {result['lost']} deliveries lost")
    return problems


def main(argv: list[str]) -> int:
    if argv and argv[0] == "_client":
        parser = argparse.ArgumentParser()
        parser.add_argument("--count", type=int)
        parser.add_argument("--cookie")
        parser.add_argument("--topic")
        parser.add_argument("urls", nargs="+")
        options = parser.parse_args(argv[1:])
        raise_fd_limit()
        asyncio.run(run_client(options.urls, options.count, options.cookie, options.topic))
        return 0
    if argv and argv[0] == "_baseline":
        parser = argparse.ArgumentParser()
        parser.add_argument("--port", type=int)
        parser.add_argument("--frame-bytes", type=int)
        options = parser.parse_args(argv[1:])
        raise_fd_limit()
        asyncio.run(run_baseline_server(options.port, options.frame_bytes))
        return 0

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20, help="paced events (default 20)")
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between them")
    parser.add_argument("--burst", type=int, default=50, help="events sent back to back")
    parser.add_argument("--processes", type=int, default=1, help="daphne processes (Redis)")
    parser.add_argument("--clients", type=int, default=1, help="client processes")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL"), help="default $REDIS_URL")
    parser.add_argument("--database-url", help="migrated (default: a throw-away SQLite file)")
    parser.add_argument("--settle", type=float, default=1.0, help="seconds idle before the RSS")
    parser.add_argument("--frame-bytes", type=int, default=0, help="baseline frame size")
    parser.add_argument("--baseline", action="store_true", help="only the plain-websockets ceiling")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = toy.parse_args(
        parser,
        argv,
        sockets=5,
        events=3,
        interval=0.05,
        burst=5,
        settle=0,
        database_url=os.environ.get("DATABASE_URL"),
    )
    if args.processes > 1 and not args.redis:
        parser.error("several processes share events through Redis: set --redis or REDIS_URL")
    raise_fd_limit()

    results = {}
    if not args.baseline:
        layer = "Redis pub/sub" if args.redis else "in-memory"
        label = f"daphne x{args.processes}, {layer}"
        results["workspace"] = bench_workspace(args)
        show(label, results["workspace"])
    if not args.no_baseline:
        # The ceiling sends frames as big as the notify events just measured.
        measured = results.get("workspace", {}).get("frame_bytes")
        args.frame_bytes = args.frame_bytes or measured or 1900
        results["baseline"] = bench_baseline(args)
        show("plain websockets broadcast", results["baseline"])
    if "workspace" in results and "baseline" in results:
        ours, ceiling = results["workspace"], results["baseline"]
        print(
            f"ratio to the ceiling: latency p50 x{ours['p50_ms'] / ceiling['p50_ms']:.1f}, "
            f"burst deliveries {100 * ours['burst_per_s'] / ceiling['burst_per_s']:.0f}%"
        )
    if args.json:
        print(json.dumps(results))
    problems = [problem for label, result in results.items() for problem in broken(label, result)]
    for problem in problems:
        print(f"BROKEN: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
