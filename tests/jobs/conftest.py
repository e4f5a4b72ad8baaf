"""Real worker processes share the test's database through tests/servers.py."""

from tests.servers import migrated_sqlite, server_db  # noqa: F401 (fixtures)
