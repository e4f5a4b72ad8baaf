#!/usr/bin/env python
"""Import benchmark: a generated CSV of ``--rows`` clients (or contacts) imported and timed.

Writes the file (company, website, phone, industry, country, tags; contacts: name,
e-mail, phone, title, company), uploads it as an admin of a department through
the wizard's services (``upload`` → ``set_mapping`` → ``set_duplicate_mode``),
then times the job itself (``run_import``, called in this process as a worker
would) and prints rows per second. ``--undo`` also times the undo. Writes into
the database it is given: use a scratch one.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ws_imp   # migrated
    .venv/bin/python bench/imports.py                 # --rows 100000 --kind clients
    .venv/bin/python bench/imports.py --rows 10000 --kind contacts --undo
    .venv/bin/python bench/imports.py --toy      # CI: 20 rows, imported and undone

Exits 1 when the import took longer than ``--target`` or did not import every row.
"""

import argparse
import csv
import io
import os
import random
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # never bench/: its modules must not hide the standard library's
from bench import toy  # noqa: E402 (after the path is right)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")
os.environ.setdefault("DEBUG", "1")

INDUSTRIES = ["Software", "Energy", "Retail", "Logistics", "Health", "Finance"]
COUNTRIES = ["DE", "FR", "GB", "US", "PL", "NL", "ES"]


def generate(rows: int, kind: str, seed: int = 18) -> bytes:
    rng = random.Random(seed)
    tag = uuid.uuid4().hex[:6]  # a fresh book each run: no duplicates of earlier runs
    area = 100 + int(tag, 16) % 900  # phones unique to this run, too
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    if kind == "clients":
        writer.writerow(["Company", "Website", "Phone", "Industry", "Country", "Tags"])
        for n in range(rows):
            writer.writerow(
                [
                    f"Bench {tag} {n} GmbH",
                    f"https://www.b{tag}-{n}.example/",
                    f"+49 {area} {n:07d}",
                    rng.choice(INDUSTRIES),
                    rng.choice(COUNTRIES),
                    rng.choice(["", "vip", "partner, eu"]),
                ]
            )
    else:
        writer.writerow(["Name", "E-mail", "Phone", "Title", "Company", "Website"])
        for n in range(rows):
            company = n // 5  # five contacts a company
            writer.writerow(
                [
                    f"Person {n}",
                    f"p{n}@b{tag}-{company}.example",
                    f"+1 {area} {n:07d}",
                    rng.choice(["Buyer", "CTO", "Owner", ""]),
                    f"Bench {tag} {company}",
                    f"b{tag}-{company}.example",
                ]
            )
    return out.getvalue().encode()


def actor():
    from accounts.models import Department, Role, User

    department, _ = Department.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    user, created = User.objects.get_or_create(
        email="import-bench@example.com",
        defaults={"full_name": "Import Bench", "role": Role.ADMIN},
    )
    if created:
        user.departments.add(department)
    return user


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--kind", choices=["clients", "contacts"], default="clients")
    parser.add_argument("--undo", action="store_true")
    parser.add_argument("--target", type=float, default=120.0, help="seconds (exit 1 if over)")
    args = toy.parse_args(parser, argv, rows=20, undo=True, target=float("inf"))

    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from integrations.imports import services
    from integrations.imports.tasks import run_import

    user = actor()
    started = time.perf_counter()
    data = generate(args.rows, args.kind)
    run = services.upload(
        actor=user, upload_file=SimpleUploadedFile("bench.csv", data), kind=args.kind
    )
    run = services.set_mapping(actor=user, run=run, columns=run.mapping)
    run = services.set_duplicate_mode(actor=user, run=run, mode="skip")
    prepared = time.perf_counter() - started
    services.start(actor=user, run=run)
    started = time.perf_counter()
    run_import.call(run.pk)
    took = time.perf_counter() - started
    run.refresh_from_db()
    print(
        f"{args.rows:,} {args.kind} rows ({len(data) / 1e6:.1f} MB): read and mapped in "
        f"{prepared:.1f} s; imported in {took:.1f} s ({args.rows / took:,.0f} rows/s): "
        f"{run.created:,} created, {run.updated:,} updated, {run.skipped:,} skipped, "
        f"{run.failed:,} failed; status {run.status}"
    )
    if args.undo:
        started = time.perf_counter()
        kept = services.undo_run(actor=user, run=run)
        print(f"undone in {time.perf_counter() - started:.1f} s ({len(kept)} kept)")
    complete = run.status == run.Status.DONE and run.created == args.rows and not run.failed
    if not complete:
        print(f"BROKEN: {args.rows:,} rows, {run.created:,} created", file=sys.stderr)
    return 0 if complete and took <= args.target else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
