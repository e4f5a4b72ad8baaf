#!/usr/bin/env python
"""Segment count benchmark: how long the builder's live count takes on a big database.

For each realistic definition below: ``--warmup`` counts, then ``--runs`` timed
ones of ``marketing.segments.count`` (its two queries: the clients, the
contacts): p50 and p95 of the wall time and the members found; then the p50 of
the builder's preview (its first ten members), and the queries' plans on request
(``--explain``). Reads only: nothing is written. Exits 1 if a definition's count
p95 is over ``--target`` ms.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ws_bench   # seed_demo --scale 100000
    .venv/bin/python bench/segments.py                  # --runs 30 --warmup 3 --target 300
    .venv/bin/python bench/segments.py --only consent --explain
    .venv/bin/python bench/segments.py --toy    # CI: a lead in Germany must be counted

``--toy`` adds a client that the first definition matches (a lead in Germany), counts
twice and exits 1 if the count misses it; no target.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # never bench/: its modules must not hide the standard library's
from bench import toy  # noqa: E402 (after the path is right)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workspace.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DB_CONN_MAX_AGE", "600")


def _group(*conditions, match="all") -> dict:
    return {
        "match": match,
        "conditions": [
            {"field": field, "op": op, "value": value} for field, op, value in conditions
        ],
    }


DEFINITIONS = {
    "lifecycle+country": {
        "groups": [_group(("lifecycle", "is", "lead"), ("country", "is", "DE"))],
    },
    "tags any": {"groups": [_group(("tags", "any", ["vip", "partner"]))]},
    "last activity": {
        "groups": [_group(("lifecycle", "is", "customer"), ("activity", "none_for", 30))],
    },
    "churn risk": {"groups": [_group(("churn_risk", "at_risk", None))]},
    "churn score": {"groups": [_group(("churn_risk", "score_gte", 40))]},
    "consent, two groups any": {
        "match": "any",
        "groups": [
            _group(("lifecycle", "is", "customer"), ("churn_risk", "at_risk", None)),
            _group(("consent", "given", None), ("email", "has", None)),
        ],
    },
}


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def toy_client() -> None:
    """A lead in Germany with one contact: what ``lifecycle+country`` must find."""
    from records import services

    actor = toy.person(department="sales")
    client = services.create_client(
        actor=actor, name=toy.unique("Toy segment"), lifecycle="lead", country="DE"
    )
    services.create_contact(actor=actor, client=client, name="Toy Contact")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--target", type=float, default=300.0, help="p95 limit, ms")
    parser.add_argument("--only", default="", help="run the definitions whose name has this")
    parser.add_argument("--explain", action="store_true", help="print each query's plan")
    options = toy.parse_args(parser, argv, runs=2, warmup=0, target=float("inf"))

    import django

    django.setup()
    if options.toy:
        toy_client()
    from django.db import connection

    from marketing import segments
    from records.models import Client

    print(f"{connection.vendor}, {Client.objects.count():,} clients")
    fields = segments.catalog()
    over, missed = [], []
    print(
        f"{'definition':<26}{'clients':>9}{'contacts':>10}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'preview p50':>13}"
    )
    for name, raw in DEFINITIONS.items():
        if options.only not in name:
            continue
        definition = segments.validate_definition(raw, fields)
        for _ in range(options.warmup):
            found = segments.count(definition, fields)
        samples = []
        for _ in range(options.runs):
            started = time.perf_counter()
            found = segments.count(definition, fields)
            samples.append((time.perf_counter() - started) * 1000)
        p50, p95 = statistics.median(samples), _percentile(samples, 0.95)
        previews = []
        for _ in range(max(3, options.runs // 5)):
            started = time.perf_counter()
            segments.preview(definition, fields)
            previews.append((time.perf_counter() - started) * 1000)
        print(
            f"{name:<26}{found.clients:>9,}{found.contacts:>10,}{p50:>9.1f}{p95:>9.1f}"
            f"{statistics.median(previews):>13.1f}"
        )
        if p95 > options.target:
            over.append(name)
        if options.toy and name == "lifecycle+country" and not found.clients:
            missed.append(name)
        if options.explain:
            for queryset in (
                segments.clients_matching(definition, fields),
                segments.contacts_matching(definition, fields),
            ):
                print(queryset.explain(analyze=True) if connection.vendor == "postgresql" else "")
    if over:
        print(f"Over {options.target:.0f} ms at p95: {', '.join(over)}")
    if missed:
        print(f"BROKEN: the toy client was not counted by {', '.join(missed)}", file=sys.stderr)
    return 1 if over or missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
