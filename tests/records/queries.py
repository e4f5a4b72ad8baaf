"""Counting the queries a page runs, for the constant-query-count tests of the records pages."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(client, url: str) -> int:
    """The queries of one GET of ``url`` (a 200), after a first GET that warms the
    session and content-type caches, so that only the page's own queries count."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)
