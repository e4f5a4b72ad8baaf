"""Many sockets' database lookups in one thread hop.

A process has one database thread (Channels' ``database_sync_to_async``), and
every hop to it costs a thread switch, a connection check and a query round
trip or more. When every tab reconnects at once (a deploy, a crash), thousands
of sockets each want their session, their topics' policies and their replay:
asked one socket at a time, that is ~8 ms of server time per tab
(docs/PERFORMANCE.md, "Reconnect storms").

``Batched`` wraps a function taking a list of requests and answering a list of
results in the same order. Callers await one request each; requests made while
a hop is running (or in the same turn of the event loop) go together in the
next hop. So a lone socket waits no longer than before, and a storm's sockets
share hops and queries: the busier the process, the bigger the batches.
"""

import asyncio
from collections.abc import Callable

from channels.db import database_sync_to_async

MAX_BATCH = 500  # requests per hop: bounds one hop's queries (``IN`` lists) and its wait


class Batched:
    def __init__(self, run_many: Callable[[list], list]):
        self.run_many = run_many
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[tuple[object, asyncio.Future]] = []
        self._running: asyncio.Task | None = None

    async def __call__(self, request):
        """``run_many([request, ...])``'s answer for ``request`` (or its exception)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests): the old one's requests are gone
            self._loop, self._pending, self._running = loop, [], None
        answer = loop.create_future()
        self._pending.append((request, answer))
        if self._running is None:
            self._running = loop.create_task(self._run())
        return await answer

    async def _run(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                await self._hop(batch)
        finally:
            self._running = None

    async def _hop(self, batch: list[tuple[object, asyncio.Future]]) -> None:
        try:
            results = await database_sync_to_async(self.run_many)([request for request, _ in batch])
        except Exception as error:  # every caller of the batch sees the failure
            for _, answer in batch:
                if not answer.done():
                    answer.set_exception(error)
            return
        for (_, answer), result in zip(batch, results, strict=True):
            if not answer.done():  # the caller may have been cancelled (socket closed)
                answer.set_result(result)
