"""Emptying the database after a transactional test, in milliseconds instead of half a second.

Django's flush TRUNCATEs every table (~75 here: 0.3 s on PostgreSQL, new files for each
table and index) and then re-runs post_migrate for every app (content types,
permissions, records' defaults: 0.15 s). A transactional test writes to a handful of
tables, so instead: one query finds the tables holding rows, and those are emptied
with DELETE in one transaction (foreign keys are deferred, so the order does not
matter). Content types and permissions are kept — they are the same rows post_migrate
would write again — and only the rows records' data migration seeds are put back.
Measured in docs/ARCHITECTURE.md ("Tests and CI").
"""

import importlib

from django.apps import apps
from django.db import connections, transaction

# Rows every test may rely on that no test changes: what post_migrate would recreate.
KEPT_TABLES = {"django_content_type", "auth_permission", "django_migrations"}


def tables_with_rows(connection) -> list[str]:
    """The non-kept tables that hold at least one row (one query)."""
    names = [
        name
        for name in connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        if name not in KEPT_TABLES
    ]
    if not names:
        return []
    # Table names come from the models (introspection), quoted; never from input.
    quote = connection.ops.quote_name
    probes = " UNION ALL ".join(
        f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote(name)})"  # noqa: S608
        for name in names
    )
    with connection.cursor() as cursor:
        cursor.execute(probes, names)
        return [row[0] for row in cursor.fetchall()]


def empty_database(alias: str) -> None:
    """Delete every row a test left behind, then seed records' defaults again."""
    connection = connections[alias]
    defer_checks = {
        "postgresql": "SET CONSTRAINTS ALL DEFERRED",
        "sqlite": "PRAGMA defer_foreign_keys = ON",
    }[connection.vendor]
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute(defer_checks)
        for name in tables_with_rows(connection):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(name)}")  # noqa: S608
    seed_records_defaults()


def seed_records_defaults() -> None:
    """The rows records' data migration seeds (the default pipeline, loss reasons, SLA
    hours), which tests expect as a fresh install has them."""
    importlib.import_module("records.migrations.0002_seed_defaults").seed(apps, None)


def fixture_teardown(test_case) -> None:
    """``TransactionTestCase._fixture_teardown`` with ``empty_database`` for Django's flush."""
    for alias in test_case._databases_names(include_mirrors=False):
        empty_database(alias)
