"""Benchmarks that cannot rot: every ``bench/*.py`` with a ``main`` runs at toy size.

``python bench/<x>.py --toy`` (bench/toy.py) runs against the servers' database (on
PostgreSQL the test database, on SQLite a fresh migrated copy) with the suite's Redis and
a Redis prefix of its own, and must exit 0: a bench that no longer starts, or finds what
it measures broken (lost events, errors), fails the build. The figures come from full
runs (docs/PERFORMANCE.md). Not marked ``backend``: CI runs it once, in its PostgreSQL
pass. A new bench is found by the glob, so it is covered without a change here.
"""

import pytest

from tests.bench.toys import SCRIPTS, assert_runs_at_toy_size
from tests.servers import migrated_sqlite, server_db  # noqa: F401 (fixtures)


@pytest.mark.parametrize("script", SCRIPTS[0::2], ids=lambda path: path.stem)
def test_bench_runs_at_toy_size(server_db, script):  # noqa: F811 (fixture)
    assert_runs_at_toy_size(script, server_db.env())
