#!/usr/bin/env python
"""Chat benchmark: people follow rooms over their sockets, some of them send; the curve.

Two shapes of traffic (``--shape``): ``room``, one room of ``--members``
(200) people, ``--senders`` (20) of them sending in turn; ``small``,
``--rooms`` (60) rooms of 5 people each, the first member of each room
sending. For each number of daphne processes in ``--processes`` (1,2; Redis
between them) and each ``LIVE_DB_THREADS`` in ``--threads`` (0: frames'
database work in the process's one database thread, as before lanes -- the
baseline; 4: four lanes, workspace/live/actions.py), it starts the servers on
the PostgreSQL database ``--database-url`` (default ``$DATABASE_URL``;
migrated first), opens one socket per person following their room, and for
each rate of ``--rates`` sends ``{"action": "chat.send", "room", "body",
"client_id"}`` frames at that rate in all (``--warmup`` s not counted, then
``--seconds`` measured). Per rate it prints: sends confirmed, deliveries per
second, latency from the send to the receipt at the *last* member of the
room (p50, p99, max), the sender's ``chat.sent`` p50, deliveries not
received within ``--drain`` s, refused sends, and CPU (% of one core) of
daphne, of this database's PostgreSQL backends and of the client processes
(``--clients``); then per shape the highest rate that met ``--target``
(p99, ms) with nothing lost. Loopback
only; at most 400 sockets, 60 s of sending and waiting per rate.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ws_bench_chat
    REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/chat.py    # both shapes: the curves
    REDIS_URL=... .venv/bin/python bench/chat.py --shape small --rates 50,100,150 --processes 1
    .venv/bin/python bench/chat.py --toy    # CI: a few sockets ($DATABASE_URL or throw-away)

People are ``chatbench-<n>@example.com`` (unusable passwords), a session
each. The rate limit (``CHAT_SEND_RATE``) is raised for the run by a
settings module in the run's temporary directory: its check (one query)
still runs for every send, it never refuses. Persistent database connections
(``DB_CONN_MAX_AGE=600``), as deployed; Redis keys prefixed ``benchchat``.
Clock: every process reads ``time.monotonic()``, the same clock on Linux.
``--toy`` exits non-zero when a send is refused, unconfirmed or not
delivered to every member.
"""

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # never bench/: its modules must not shadow the standard library's

from bench._procs import async_part, json_part, read_json, run_part  # noqa: E402
from bench.toy import free_port  # noqa: E402
from bench.toy import people as bench_people  # noqa: E402
from bench.ws_fanout import (  # noqa: E402 (after the path is set, when run as a script)
    cpu_seconds,
    open_tab,
    percentile,
    raise_fd_limit,
    server_env,
    start_daphne,
)

CLIENT_ID = re.compile(r'"client_id":"([^"]+)"')
EMAIL = "chatbench-{}@example.com"
SMALL_ROOM = 5
SETTINGS = """from workspace.settings import *  # noqa: F403

CHAT_SEND_RATE = ((1000, 1), (60000, 60))
LIVE_DB_THREADS = {threads}
"""
BODY = "the quarterly numbers look good and the client wants a call about the renewal"
DEFAULT_RATES = {"room": "10,20,40,60", "small": "25,50,100,150,200"}
MAX_SOCKETS = 400


# --- Setup (runs with the servers' settings, in its own process) ---------------------


def layout(args, shape: str) -> list[list[int]]:
    """The rooms of a shape, as lists of people's numbers (the first sends in small rooms)."""
    if shape == "room":
        return [list(range(args.members))]
    return [list(range(n * SMALL_ROOM, (n + 1) * SMALL_ROOM)) for n in range(args.rooms)]


def create_tables() -> None:
    """A throw-away SQLite database's tables straight from the models (seconds, not 30 s)."""
    from django.conf import settings
    from django.db import connection

    database = settings.DATABASES["default"]
    database["TEST"] = {"NAME": database["NAME"], "MIGRATE": False}
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)


def prepare(layouts: dict[str, list[list[int]]], throwaway: bool) -> dict:
    """The bench people, a session each, and each shape's rooms (made through chat.services)."""
    import django

    django.setup()
    if throwaway:
        create_tables()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from chat import services
    from chat.models import Room

    count = max(max(room) for rooms in layouts.values() for room in rooms) + 1
    emails = [EMAIL.format(number) for number in range(count)]
    people = bench_people(emails, "Bench Person {}")
    room_ids = {shape: [] for shape in layouts}
    for shape, rooms in layouts.items():
        for number, members in enumerate(rooms):
            owner, name = people[members[0]], f"Chat bench {len(members)}-{number}"
            room = Room.objects.filter(kind="group", name=name, created_by=owner).first()
            if room is None:
                room = services.create_room(actor=owner, name=name)
                others = [people[n] for n in members[1:]]
                services.add_members(actor=owner, room=room, people=others)
            room_ids[shape].append(room.pk)
    cookies = []
    for person in people:
        session = SessionStore()
        session[SESSION_KEY] = str(person.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = person.get_session_auth_hash()
        session.save()
        cookies.append(f"sessionid={session.session_key}")
    return {"rooms": room_ids, "cookies": cookies}


# --- Clients (a subprocess each, so they can use another core) -------------------------


class ClientRun:
    """What one client process saw of one rate: sends, confirmations, receipts, refusals."""

    def __init__(self):
        self.receipts: dict[str, list] = {}  # client_id -> [count, first receipt, last receipt]
        self.sent: dict[str, float] = {}
        self.acked: dict[str, float] = {}
        self.errors: list[str] = []

    def take(self, text: str) -> None:
        now = time.monotonic()
        if text.startswith('{"type":"live.event"'):
            if match := CLIENT_ID.search(text):
                entry = self.receipts.setdefault(match.group(1), [0, now, now])
                entry[0] += 1
                entry[2] = now
        elif text.startswith('{"type":"chat.sent"'):
            self.acked[CLIENT_ID.search(text).group(1)] = now
        elif text.startswith('{"type":"live.error"'):
            self.errors.append(text[:300])


async def open_member(url: str, cookie: str, room: int, opening: asyncio.Semaphore):
    async with opening:
        socket = await open_tab(url, cookie)
        await socket.send(json.dumps({"action": "subscribe", "topics": {f"room.{room}": None}}))
        while True:
            answer = await socket.recv()
            if '"live.subscribed"' in answer:
                return socket
            if '"live.error"' in answer:
                raise RuntimeError(f"subscribe refused: {answer}")


async def send_on_schedule(socket, run: ClientRun, room: int, slot: int, go: dict) -> None:
    """Sender ``slot`` of ``go["senders"]`` sends its share of ``go["rate"]`` messages a second."""
    words = BODY.split()
    body = " ".join(words[slot % 5 :] + words[: slot % 5])
    start, rate, senders = go["start"], go["rate"], go["senders"]
    end = start + go["warmup"] + go["seconds"]
    for turn in itertools.count():
        at = start + (slot + turn * senders) / rate
        if at >= end:
            return
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        phase = "w" if at < start + go["warmup"] else "m"
        client_id = f"{go['tag']}-{phase}{slot}-{turn}"
        frame = {"action": "chat.send", "room": room, "body": f"{body} ({turn})"}
        run.sent[client_id] = time.monotonic()
        await socket.send(json.dumps(frame | {"client_id": client_id}))


async def run_client(plan: list) -> None:
    """Hold this process's sockets; on a "go" line, send on schedule; answer "report"."""
    run = ClientRun()

    async def listen(socket) -> None:
        with contextlib.suppress(Exception):  # a closed socket is counted as not held
            async for text in socket:
                run.take(text)

    opening = asyncio.Semaphore(50)
    sockets = await asyncio.gather(
        *(open_member(url, cookie, room, opening) for url, cookie, room, _ in plan)
    )
    loop = asyncio.get_running_loop()
    tasks = {loop.create_task(listen(socket)) for socket in sockets}  # referenced while they run
    print(json.dumps({"ready": len(sockets)}), flush=True)
    while command := (await asyncio.to_thread(sys.stdin.readline)).strip():
        if command.startswith("go "):
            run, go = ClientRun(), json.loads(command[3:])
            tasks |= {
                loop.create_task(send_on_schedule(socket, run, room, slot, go))
                for socket, (_, _, room, slot) in zip(sockets, plan, strict=True)
                if slot is not None
            }
        elif command == "report":
            held = sum(1 for socket in sockets if socket.close_code is None)
            print(json.dumps({"held": held} | vars(run)), flush=True)
    for socket in sockets:
        await socket.close()


class Clients:
    """K client processes holding the sockets between them (socket n in process n % K)."""

    def __init__(self, args, urls: list[str], sockets: list[tuple], workdir: Path):
        self.processes = []
        for number in range(args.clients):
            mine = [
                (urls[index % len(urls)], *socket)
                for index, socket in enumerate(sockets)
                if index % args.clients == number
            ]
            path = workdir / f"client-{number}.json"
            path.write_text(json.dumps(mine))
            self.processes.append(
                subprocess.Popen(  # noqa: S603
                    [sys.executable, __file__, "_client", str(path)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        self.ready = sum(json.loads(p.stdout.readline())["ready"] for p in self.processes)

    def tell(self, command: str) -> None:
        for process in self.processes:
            process.stdin.write(command + "\n")
            process.stdin.flush()

    def report(self) -> dict:
        self.tell("report")
        merged = {"held": 0, "sent": {}, "acked": {}, "errors": [], "receipts": {}}
        for process in self.processes:
            answer = json.loads(process.stdout.readline())
            merged["held"] += answer["held"]
            merged["sent"] |= answer["sent"]
            merged["acked"] |= answer["acked"]
            merged["errors"] += answer["errors"]
            for key, (count, first, last) in answer["receipts"].items():
                entry = merged["receipts"].setdefault(key, [0, first, last])
                entry[0] += count
                entry[1], entry[2] = min(entry[1], first), max(entry[2], last)
        return merged

    def stop(self) -> None:
        with contextlib.suppress(BrokenPipeError):
            self.tell("")
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


# --- CPU of the other processes involved -------------------------------------------------


def pids_of(name: str, argument: str = "") -> list[int]:
    """Processes called ``name`` whose command line contains ``argument``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if (entry / "comm").read_text().strip() == name and argument in command:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def cpu_of(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):  # ended meanwhile
            total += cpu_seconds(pid)
    return total


# --- One rate ---------------------------------------------------------------------------


def measure(args, clients: Clients, go: dict, sizes: dict[int, int], processes) -> dict:
    """Send at one rate for warmup + seconds, wait for the deliveries, work out the figures.

    ``sizes`` maps a sender's slot to its room's member count (the receipts a
    message needs); ``processes()`` names the processes whose CPU is measured.
    """
    start = time.monotonic() + 1.0
    clients.tell("go " + json.dumps(go | {"start": start}))
    time.sleep(max(0.0, start + go["warmup"] - time.monotonic()))
    groups = processes()
    before = {label: cpu_of(pids) for label, pids in groups.items()}
    time.sleep(max(0.0, start + go["warmup"] + go["seconds"] - time.monotonic()))
    cpu = {label: cpu_of(pids) - before[label] for label, pids in groups.items()}
    deadline = time.monotonic() + args.drain
    while True:
        report = clients.report()
        needed = {key: sizes[slot_of(key)] for key in report["sent"] if "-m" in key}
        receipts = report["receipts"]
        if all(receipts.get(key, [0])[0] >= n for key, n in needed.items()):
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return figures(go, report, needed, cpu)


def slot_of(client_id: str) -> int:
    return int(client_id.split("-")[-2][1:])


def figures(go: dict, report: dict, needed: dict[str, int], cpu: dict) -> dict:
    sent, acked, receipts = report["sent"], report["acked"], report["receipts"]
    arrived = [key for key in needed if key in receipts]
    last = [(receipts[key][2] - sent[key]) * 1000 for key in arrived]
    confirmed = [(acked[key] - sent[key]) * 1000 for key in needed if key in acked]
    deliveries = sum(receipts[key][0] for key in arrived)
    span = max((receipts[key][2] for key in arrived), default=0) - min(
        (sent[key] for key in needed), default=0
    )
    return {
        "rate": go["rate"],
        "held": report["held"],
        "sent": len(needed),
        "confirmed": len(confirmed),
        "refused": len(report["errors"]),
        "errors": report["errors"][:3],
        "deliveries_per_s": round(deliveries / span) if span > 0 else 0,
        "lost": sum(needed.values()) - deliveries,
        "last_p50_ms": round(statistics.median(last), 1) if last else None,
        "last_p99_ms": round(percentile(last, 0.99), 1) if last else None,
        "last_max_ms": round(max(last), 1) if last else None,
        "confirm_p50_ms": round(statistics.median(confirmed), 1) if confirmed else None,
        "cpu_percent": {label: round(100 * used / go["seconds"]) for label, used in cpu.items()},
    }


def met(result: dict, target: float) -> bool:
    return (result["last_p99_ms"] or 1e9) <= target and not result["lost"] and result["sent"] > 0


# --- One configuration: a shape, N processes, T lanes ------------------------------------


def members_of(args, shape: str, seed: dict) -> tuple[list[tuple], dict[int, int], int]:
    """A shape's sockets (cookie, room, sender slot or None), its senders' room sizes, senders."""
    rooms = layout(args, shape)
    senders = args.senders if shape == "room" else len(rooms)
    sockets, sizes = [], {}
    for room_id, members in zip(seed["rooms"][shape], rooms, strict=True):
        for position, person in enumerate(members):
            slot = None
            if shape == "small" and position == 0:
                slot = len(sizes)
            elif shape == "room" and person < senders:
                slot = person
            if slot is not None:
                sizes[slot] = len(members)
            sockets.append((seed["cookies"][person], room_id, slot))
    return sockets, sizes, senders


def bench(args, processes: int, threads: int, seed: dict, workdir: Path) -> list:
    """One configuration's servers; each shape's sweep on them. A sweep that left deliveries
    behind leaves the servers busy with its backlog: they are restarted for the next shape."""
    env = configuration_env(args, threads, workdir)
    ports = [args.port + number for number in range(processes)]
    servers, results = [], []
    try:
        for shape in seed["rooms"]:
            servers = servers or [start_daphne(port, env) for port in ports]
            swept = [
                result | {"processes": processes, "threads": threads}
                for result in sweep(args, shape, seed, servers, ports, workdir, env)
            ]
            for result in swept:
                show(result, args.target)
            results += swept
            if swept and swept[-1]["lost"]:
                stop(servers)
                servers = []
        return results
    finally:
        stop(servers)


def sweep(args, shape: str, seed: dict, servers, ports, workdir: Path, env: dict) -> list:
    """Clients for a shape, and each rate up to the first that leaves deliveries behind
    (the servers are past their knee: higher rates would only queue)."""
    sockets, sizes, senders = members_of(args, shape, seed)
    database = env["DATABASE_URL"].rsplit("/", 1)[-1]

    clients = Clients(args, [f"ws://localhost:{port}/ws/" for port in ports], sockets, workdir)

    def cpu_groups() -> dict[str, list[int]]:
        return {
            "daphne": [server.pid for server in servers],
            "PG": pids_of("postgres", f" {database} "),
            "clients": [process.pid for process in clients.processes],
        }

    results = []
    try:
        for rate in rates_of(args, shape):
            go = {"rate": rate, "senders": senders, "tag": secrets.token_hex(3)}
            go |= {"warmup": args.warmup, "seconds": args.seconds}
            result = measure(args, clients, go, sizes, cpu_groups)
            result |= {"shape": shape, "members": len(sockets), "load": os.getloadavg()[0]}
            results.append(result)
            if result["lost"]:
                break
        return results
    finally:
        clients.stop()


def stop(servers) -> None:
    for server in servers:
        server.send_signal(signal.SIGTERM)
        server.wait(30)


def configuration_env(args, threads: int, workdir: Path) -> dict:
    module = f"chat_bench_settings_{threads}"
    (workdir / f"{module}.py").write_text(SETTINGS.format(threads=threads))
    env = server_env(args.database_url, args.redis)
    env.update(
        DJANGO_SETTINGS_MODULE=module,
        PYTHONPATH=f"{workdir}{os.pathsep}{ROOT}",
        REDIS_PREFIX=args.redis_prefix,
        DB_CONN_MAX_AGE=str(args.conn_max_age),
    )
    return env


def seed(args, shapes: list[str], workdir: Path) -> dict:
    """People, sessions and rooms of the shapes (``prepare``, in a process of its own)."""
    env = configuration_env(args, 0, workdir)
    run = {"cwd": ROOT, "env": env, "check": True}
    layouts = json.dumps({shape: layout(args, shape) for shape in shapes})
    made = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "_prepare", layouts, json.dumps(args.throwaway)],
        capture_output=True,
        text=True,
        **run,
    )
    return json.loads(made.stdout.strip().splitlines()[-1])


def rates_of(args, shape: str) -> list[float]:
    return [float(rate) for rate in (args.rates or DEFAULT_RATES[shape]).split(",")]


# --- Output -------------------------------------------------------------------------------

HEADER = (
    "| shape | proc | lanes | sends/s offered | sent / confirmed | deliveries/s | "
    "last member p50 / p99 / max ms | chat.sent p50 | lost | refused | CPU daphne, PG, clients % | "
    "load |"
)


def show(result: dict, target: float) -> None:
    cpu = result["cpu_percent"]
    print(
        f"| {result['shape']} ({result['members']}) | {result['processes']} | "
        f"{result['threads']} | {result['rate']:g} | {result['sent']} / {result['confirmed']} | "
        f"{result['deliveries_per_s']:,} | {result['last_p50_ms']} / {result['last_p99_ms']} / "
        f"{result['last_max_ms']} | {result['confirm_p50_ms']} | {result['lost']} | "
        f"{result['refused']} | {cpu['daphne']}, {cpu['PG']}, {cpu['clients']} | "
        f"{result['load']:.1f} |" + ("" if met(result, target) else " (missed)"),
        flush=True,
    )
    for error in result["errors"]:
        print(f"  refused: {error}")


def summary(results: list[dict], target: float) -> None:
    """Per configuration: the highest rate meeting the target (sends and deliveries a second)."""
    print(f"\nHighest rate with last-member p99 <= {target:.0f} ms and nothing lost:")
    keys = dict.fromkeys((r["shape"], r["processes"], r["threads"]) for r in results)
    for shape, processes, threads in keys:
        good = [
            r
            for r in results
            if (r["shape"], r["processes"], r["threads"]) == (shape, processes, threads)
            and met(r, target)
        ]
        best = max(good, key=lambda r: r["rate"], default=None)
        label = f"  {shape}, {processes} process(es), LIVE_DB_THREADS={threads}: "
        if best is None:
            print(label + "none")
            continue
        print(
            label + f"{best['rate']:g} sends/s ({best['rate'] / processes:g} per process), "
            f"{best['deliveries_per_s']:,} deliveries/s, p99 {best['last_p99_ms']} ms"
        )


# --- Main -----------------------------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", choices=["room", "small", "both"], default="both")
    parser.add_argument("--members", type=int, default=200, help="people in the one room")
    parser.add_argument("--senders", type=int, default=20, help="of them, senders")
    parser.add_argument("--rooms", type=int, default=60, help="small rooms (5 people each)")
    parser.add_argument("--rates", help="sends a second in all, comma-separated (per shape)")
    parser.add_argument("--processes", default="1,2", help="daphne processes, comma-separated")
    parser.add_argument("--threads", default="0,4", help="LIVE_DB_THREADS values, 0: baseline")
    parser.add_argument("--seconds", type=float, default=8, help="measured sending time")
    parser.add_argument("--warmup", type=float, default=2, help="sending not measured first")
    parser.add_argument("--drain", type=float, default=8, help="seconds to wait for the rest")
    parser.add_argument("--clients", type=int, default=1, help="client processes")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL"), help="default $REDIS_URL")
    parser.add_argument("--redis-prefix", default="benchchat")
    parser.add_argument("--conn-max-age", type=int, default=600, help="DB_CONN_MAX_AGE")
    parser.add_argument("--port", type=int, default=18800)
    parser.add_argument("--target", type=float, default=150, help="last-member p99 target, ms")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--toy", action="store_true", help="CI: a few sockets, about a second")
    parser.set_defaults(throwaway=False)  # --toy without a database: a throw-away SQLite file
    args = parser.parse_args(argv)
    if args.toy:
        toy(args)
    check(parser, args)
    return args


def toy(args) -> None:
    """A few sockets, one process, one low rate of each shape, on ``--database-url`` as it
    is (CI's test database: migrated, maybe holding an earlier run's people and rooms,
    which are reused), else on a throw-away SQLite file."""
    if not args.database_url:
        args.database_url = f"sqlite:///{tempfile.mkdtemp(prefix='chat-bench-toy-')}/toy.sqlite3"
        args.throwaway = True
    args.redis, args.processes, args.threads, args.port = None, "1", "0", free_port()
    args.members, args.senders, args.rooms, args.rates = 6, 2, 2, "4"
    args.warmup, args.seconds, args.drain = 0.2, 1, 5


def check(parser, args) -> None:
    if not args.database_url or not (args.toy or args.database_url.startswith("postgres")):
        parser.error("set --database-url or DATABASE_URL to PostgreSQL (senders write at once)")
    args.processes = [int(n) for n in args.processes.split(",")]
    args.threads = [int(n) for n in args.threads.split(",")]
    if max(args.processes) > 1 and not args.redis:
        parser.error("several processes share events through Redis: set --redis or REDIS_URL")
    if not (0 < args.senders <= args.members <= MAX_SOCKETS):
        parser.error(f"0 < senders <= members <= {MAX_SOCKETS}")
    if not 0 < args.rooms * SMALL_ROOM <= MAX_SOCKETS:
        parser.error(f"at most {MAX_SOCKETS // SMALL_ROOM} small rooms")
    if args.warmup + args.seconds + args.drain > 60:
        parser.error("warmup + seconds + drain is limited to 60 s")


def main(argv: list[str]) -> int:
    parts = {
        "_client": async_part(run_client, read_json),
        "_prepare": json_part(prepare, json.loads, json.loads),
    }
    if run_part(argv, parts):
        return 0
    args = parse(argv)
    raise_fd_limit()
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(40))  # one for sessions and servers
    shapes = ["room", "small"] if args.shape == "both" else [args.shape]
    results = []
    with tempfile.TemporaryDirectory(prefix="chat-bench-") as workdir:
        if not args.toy:
            env = configuration_env(args, 0, Path(workdir))
            migrate = [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"]
            subprocess.run(migrate, cwd=ROOT, env=env, check=True)  # noqa: S603
        print(f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, load {os.getloadavg()}")
        print(HEADER + "\n" + "| --- " * 12 + "|", flush=True)
        made = seed(args, shapes, Path(workdir))
        for processes, threads in itertools.product(args.processes, args.threads):
            results += bench(args, processes, threads, made, Path(workdir))
    summary(results, args.target)
    if args.json:
        print(json.dumps(results))
    broken = [r for r in results if r["lost"] or r["refused"] or r["confirmed"] < r["sent"]]
    return 1 if args.toy and (broken or not results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
