"""The other half of the benches' toy runs (test_toy_runs_first_half.py says why)."""

import pytest

from tests.bench.toys import SCRIPTS, assert_runs_at_toy_size
from tests.servers import migrated_sqlite, server_db  # noqa: F401 (fixtures)


@pytest.mark.parametrize("script", SCRIPTS[1::2], ids=lambda path: path.stem)
def test_bench_runs_at_toy_size(server_db, script):  # noqa: F811 (fixture)
    assert_runs_at_toy_size(script, server_db.env())
