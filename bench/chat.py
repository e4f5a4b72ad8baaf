#!/usr/bin/env python
"""Chat benchmark: one room, M connected members, S of them sending over their sockets.

Starts daphne process(es) serving Workspace on the database in
``--database-url`` (default ``$DATABASE_URL``; migrated first), creates M
people (``chatbench-<n>@example.com``, unusable passwords), a session each
and one public group room they all belong to (through ``chat.services``).
Then M sockets, one per person, each follows ``room.<id>``; the first S also
send ``{"action": "chat.send", "room", "body", "client_id"}`` frames in turn,
``--rate`` messages a second in all (after ``--warmup`` seconds not counted,
``--seconds`` measured). Prints: messages sent and confirmed (``chat.sent``),
deliveries per second, latency from the send to the receipt at the *last*
of the M sockets (p50, p99, max; also the first socket's p50 and the
sender's confirmation), deliveries not received within ``--drain`` seconds,
refused sends, frames per second the sockets received, and CPU of daphne,
of this database's PostgreSQL backends, of redis-server and of the clients
(percent of one core). ``--samples`` writes each message's timings to a
CSV file. Loopback only; at most 400 sockets and 60 s of sending and waiting.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ws_bench_chat
    REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/chat.py    # 200 members, 20 senders
    REDIS_URL=... .venv/bin/python bench/chat.py --rate 20               # 4,000 deliveries/s
    REDIS_URL=... .venv/bin/python bench/chat.py --processes 2           # two daphnes, Redis

The rate limit (``CHAT_SEND_RATE``, 10 a second and 60 a minute per person)
is raised for the run, to 1,000 and 60,000, by a settings module written to
the run's temporary directory: its check (one query) still runs for every
send, it just never refuses. Persistent database connections
(``DB_CONN_MAX_AGE=600``, ``--conn-max-age``), as deployed; Redis keys
prefixed ``benchchat`` (``--redis-prefix``). Clock: every process reads
``time.monotonic()``, the same clock on Linux.
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
sys.path.insert(0, str(ROOT))

from bench.ws_fanout import (  # noqa: E402 (after the path is set, when run as a script)
    cpu_seconds,
    open_tab,
    percentile,
    raise_fd_limit,
    rss_kb,
    server_env,
    start_daphne,
)

CLIENT_ID = re.compile(r'"client_id":"([^"]+)"')
EMAIL = "chatbench-{}@example.com"
ROOM_NAME = "Chat bench"
SETTINGS = """from workspace.settings import *  # noqa: F403

CHAT_SEND_RATE = ((1000, 1), (60000, 60))
"""
BODY = "the quarterly numbers look good and the client wants a call about the renewal"


# --- Setup (runs with the servers' settings, in its own process) ---------------------


def prepare(members: int) -> dict:
    """The bench people, a session each, and the room they all follow."""
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User
    from chat import services
    from chat.models import Room

    emails = [EMAIL.format(number) for number in range(members)]
    have = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    unusable = make_password(None)
    User.objects.bulk_create(
        User(email=email, full_name=f"Bench Person {number}", password=unusable)
        for number, email in enumerate(emails)
        if email not in have
    )
    found = {person.email: person for person in User.objects.filter(email__in=emails)}
    people = [found[email] for email in emails]
    room = Room.objects.filter(kind="group", name=ROOM_NAME, created_by=people[0]).first()
    if room is None:
        room = services.create_room(actor=people[0], name=ROOM_NAME)
    services.add_members(actor=people[0], room=room, people=people[1:])
    cookies = []
    for person in people:
        session = SessionStore()
        session[SESSION_KEY] = str(person.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = person.get_session_auth_hash()
        session.save()
        cookies.append(f"sessionid={session.session_key}")
    return {"room": room.pk, "cookies": cookies}


# --- Clients (a subprocess each, so they can use another core) -------------------------


async def run_client(plan: dict) -> None:
    """Hold this process's sockets; on "go <start>", send on schedule; answer "report"."""

    room, rate, senders = plan["room"], plan["rate"], plan["senders"]
    receipts: dict[str, list] = {}  # client_id -> [count, first receipt, last receipt]
    sent: dict[str, float] = {}
    acked: dict[str, float] = {}
    errors: list[str] = []
    opening = asyncio.Semaphore(50)

    async def listen(socket) -> None:
        try:
            async for text in socket:
                now = time.monotonic()
                if text.startswith('{"type":"live.event"'):
                    match = CLIENT_ID.search(text)
                    if match:
                        entry = receipts.setdefault(match.group(1), [0, now, now])
                        entry[0] += 1
                        entry[2] = now
                elif text.startswith('{"type":"chat.sent"'):
                    acked[CLIENT_ID.search(text).group(1)] = now
                elif text.startswith('{"type":"live.error"'):
                    errors.append(text[:300])
        except Exception:  # noqa: S110 (a closed socket is counted as not held)
            pass

    async def open_one(url: str, cookie: str):
        async with opening:
            socket = await open_tab(url, cookie)
            topic = f"room.{room}"
            await socket.send(json.dumps({"action": "subscribe", "topics": {topic: None}}))
            while True:
                answer = await socket.recv()
                if '"live.subscribed"' in answer:
                    break
                if '"live.error"' in answer:
                    raise RuntimeError(f"subscribe refused: {answer}")
        asyncio.get_running_loop().create_task(listen(socket))
        return socket

    async def send_on_schedule(socket, sender: int, start: float) -> None:
        words = BODY.split()
        body = " ".join(words[sender % 5 :] + words[: sender % 5])
        end = start + plan["warmup"] + plan["seconds"]
        for turn in itertools.count():
            at = start + (sender + turn * senders) / rate
            if at >= end:
                return
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            phase = "w" if at < start + plan["warmup"] else "m"
            client_id = f"{plan['run']}-{phase}{sender}-{turn}"
            frame = {"action": "chat.send", "room": room, "body": f"{body} ({turn})"}
            sent[client_id] = time.monotonic()
            await socket.send(json.dumps(frame | {"client_id": client_id}))

    connections = [(url, cookie) for url, cookie, _ in plan["sockets"]]
    sockets = await asyncio.gather(*(open_one(url, cookie) for url, cookie in connections))
    print(json.dumps({"ready": len(sockets)}), flush=True)
    while True:
        command = (await asyncio.to_thread(sys.stdin.readline)).split()
        if command and command[0] == "go":
            start = float(command[1])
            sending = [  # noqa: F841 (the tasks are kept while they run)
                asyncio.get_running_loop().create_task(send_on_schedule(socket, sender, start))
                for socket, (_, _, sender) in zip(sockets, plan["sockets"], strict=True)
                if sender is not None
            ]
        elif command == ["report"]:
            held = sum(1 for socket in sockets if socket.close_code is None)
            answer = {"held": held, "sent": sent, "acked": acked}
            print(json.dumps(answer | {"errors": errors, "receipts": receipts}), flush=True)
        elif command in (["quit"], []):
            break
    for socket in sockets:
        await socket.close()


class Clients:
    """K client processes holding the M sockets between them (socket n in process n % K)."""

    def __init__(self, args, urls: list[str], cookies: list[str], room: int, workdir: Path):
        self.processes = []
        run = secrets.token_hex(3)
        for number in range(args.clients):
            sockets = [
                (urls[index % len(urls)], cookies[index], index if index < args.senders else None)
                for index in range(number, len(cookies), args.clients)
            ]
            plan = {"room": room, "rate": args.rate, "senders": args.senders, "run": run}
            plan |= {"warmup": args.warmup, "seconds": args.seconds, "sockets": sockets}
            path = workdir / f"client-{number}.json"
            path.write_text(json.dumps(plan))
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
            self.tell("quit")
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


# --- One run --------------------------------------------------------------------------


def measure(args, clients: Clients, processes) -> dict:
    """Send for warmup + seconds, wait for the deliveries, and work out the figures.

    ``processes()`` names the processes whose CPU is measured, by label; it is
    asked when the measured part begins (the database connections are open by then).
    """
    start = time.monotonic() + 1.0
    clients.tell(f"go {start}")
    time.sleep(max(0.0, start + args.warmup - time.monotonic()))
    groups = processes()
    before = {label: cpu_of(pids) for label, pids in groups.items()}
    time.sleep(max(0.0, start + args.warmup + args.seconds - time.monotonic()))
    cpu = {label: cpu_of(pids) - before[label] for label, pids in groups.items()}
    deadline = time.monotonic() + args.drain
    while True:
        report = clients.report()
        measured = [key for key in report["sent"] if "-m" in key]
        receipts = report["receipts"]
        done = all(receipts.get(key, [0])[0] >= clients.ready for key in measured)
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return figures(args, clients, report, measured, cpu)


def figures(args, clients: Clients, report: dict, measured: list[str], cpu: dict) -> dict:
    sent, acked, receipts = report["sent"], report["acked"], report["receipts"]
    arrived = [key for key in measured if key in receipts]
    if args.samples:
        write_samples(args.samples, measured, report)
    last = [(receipts[key][2] - sent[key]) * 1000 for key in arrived]
    first = [(receipts[key][1] - sent[key]) * 1000 for key in arrived]
    confirmed = [(acked[key] - sent[key]) * 1000 for key in measured if key in acked]
    deliveries = sum(receipts[key][0] for key in arrived)
    span = max((receipts[key][2] for key in arrived), default=0) - min(
        (sent[key] for key in measured), default=0
    )
    return {
        "members": args.members,
        "held": report["held"],
        "senders": args.senders,
        "rate": args.rate,
        "sent": len(measured),
        "confirmed": len(confirmed),
        "refused": len(report["errors"]),
        "errors": report["errors"][:3],
        "deliveries": deliveries,
        "lost": clients.ready * len(measured) - deliveries,
        "deliveries_per_s": round(deliveries / span) if span > 0 else 0,
        "frames_per_s": round((deliveries + len(confirmed)) / span) if span > 0 else 0,
        "last_p50_ms": round(statistics.median(last), 1) if last else None,
        "last_p99_ms": round(percentile(last, 0.99), 1) if last else None,
        "last_max_ms": round(max(last), 1) if last else None,
        "first_p50_ms": round(statistics.median(first), 1) if first else None,
        "confirm_p50_ms": round(statistics.median(confirmed), 1) if confirmed else None,
        "confirm_p99_ms": round(percentile(confirmed, 0.99), 1) if confirmed else None,
        "cpu_percent": {label: round(100 * used / args.seconds) for label, used in cpu.items()},
    }


def write_samples(path: str, measured: list[str], report: dict) -> None:
    """One CSV line per measured message: when it was sent (s into the run), then ms to
    its confirmation, its first and its last receipt (empty: never came)."""
    sent, acked, receipts = report["sent"], report["acked"], report["receipts"]
    origin = min(sent[key] for key in measured)
    lines = ["sent_s,confirmed_ms,first_ms,last_ms"]
    for key in sorted(measured, key=sent.get):
        at = sent[key]
        confirmed = f"{(acked[key] - at) * 1000:.1f}" if key in acked else ""
        first, last = (
            (f"{(receipts[key][1] - at) * 1000:.1f}", f"{(receipts[key][2] - at) * 1000:.1f}")
            if key in receipts
            else ("", "")
        )
        lines.append(f"{at - origin:.3f},{confirmed},{first},{last}")
    Path(path).write_text("\n".join(lines) + "\n")


def show(result: dict, target: float) -> None:
    cpu = ", ".join(f"{label} {value} %" for label, value in result["cpu_percent"].items())
    verdict = "yes" if (result["last_p99_ms"] or 1e9) <= target and not result["lost"] else "NO"
    print(
        f"{result['held']}/{result['members']} members, {result['senders']} senders, "
        f"{result['rate']} msg/s offered: {result['sent']} sent, {result['confirmed']} "
        f"confirmed, {result['refused']} refused\n"
        f"deliveries {result['deliveries']:,} ({result['deliveries_per_s']:,}/s), "
        f"not received within the drain {result['lost']}; "
        f"socket frames {result['frames_per_s']:,}/s\n"
        f"send -> last member: p50 {result['last_p50_ms']} ms, p99 {result['last_p99_ms']} ms, "
        f"max {result['last_max_ms']} ms; first member p50 {result['first_p50_ms']} ms; "
        f"chat.sent p50 {result['confirm_p50_ms']} ms, p99 {result['confirm_p99_ms']} ms\n"
        f"CPU (% of one core): {cpu}\n"
        f"target p99 <= {target:.0f} ms, nothing lost: {verdict}",
        flush=True,
    )
    for error in result["errors"]:
        print(f"  refused: {error}")


def bench(args, workdir: Path) -> dict:
    (workdir / "chat_bench_settings.py").write_text(SETTINGS)
    env = server_env(args.database_url, args.redis)
    env.update(
        DJANGO_SETTINGS_MODULE="chat_bench_settings",
        PYTHONPATH=f"{workdir}{os.pathsep}{ROOT}",
        REDIS_PREFIX=args.redis_prefix,
        DB_CONN_MAX_AGE=str(args.conn_max_age),
    )
    run = {"cwd": ROOT, "env": env, "check": True}
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], **run)
    made = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "_prepare", str(args.members)],
        capture_output=True,
        text=True,
        **run,
    )
    seed = json.loads(made.stdout.strip().splitlines()[-1])
    ports = [args.port + number for number in range(args.processes)]
    servers = [start_daphne(port, env) for port in ports]
    clients = None
    try:
        urls = [f"ws://localhost:{port}/ws/" for port in ports]
        clients = Clients(args, urls, seed["cookies"], seed["room"], workdir)
        time.sleep(1)
        database = args.database_url.rsplit("/", 1)[-1]

        def processes() -> dict[str, list[int]]:
            return {
                "daphne": [server.pid for server in servers],
                "postgres backends": pids_of("postgres", f" {database} "),
                "redis-server": pids_of("redis-server") if args.redis else [],
                "clients": [process.pid for process in clients.processes],
            }

        result = measure(args, clients, processes)
        result["daphne_rss_mb"] = round(sum(rss_kb(s.pid) for s in servers) / 1024)
        return result
    finally:
        if clients is not None:
            clients.stop()
        for server in servers:
            server.send_signal(signal.SIGTERM)
            server.wait(30)


def main(argv: list[str]) -> None:
    if argv and argv[0] == "_client":
        raise_fd_limit()
        asyncio.run(run_client(json.loads(Path(argv[1]).read_text())))
        return
    if argv and argv[0] == "_prepare":
        print(json.dumps(prepare(int(argv[1]))))
        return

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=200, help="sockets in the room")
    parser.add_argument("--senders", type=int, default=20, help="members who also send")
    parser.add_argument("--rate", type=float, default=10, help="messages a second, in all")
    parser.add_argument("--seconds", type=float, default=20, help="measured sending time")
    parser.add_argument("--warmup", type=float, default=3, help="sending not measured first")
    parser.add_argument("--drain", type=float, default=10, help="seconds to wait for the rest")
    parser.add_argument("--processes", type=int, default=1, help="daphne processes (Redis)")
    parser.add_argument("--clients", type=int, default=1, help="client processes")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL"), help="default $REDIS_URL")
    parser.add_argument("--redis-prefix", default="benchchat")
    parser.add_argument("--conn-max-age", type=int, default=600, help="DB_CONN_MAX_AGE")
    parser.add_argument("--port", type=int, default=18800)
    parser.add_argument("--target", type=float, default=150, help="last-member p99 target, ms")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--samples", metavar="CSV", help="write each message's timings there")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("set --database-url or DATABASE_URL (PostgreSQL: senders write at once)")
    if args.processes > 1 and not args.redis:
        parser.error("several processes share events through Redis: set --redis or REDIS_URL")
    if not (0 < args.senders <= args.members <= 400):
        parser.error("0 < senders <= members <= 400")
    if args.warmup + args.seconds + args.drain > 60:
        parser.error("warmup + seconds + drain is limited to 60 s")
    raise_fd_limit()
    with tempfile.TemporaryDirectory(prefix="chat-bench-") as workdir:
        result = bench(args, Path(workdir))
    show(result, args.target)
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
