"""A bench's parts that run in processes of their own: ``python bench/<x>.py _<part> <args>``.

A bench holds its sockets in client processes (another core), and seeds its
rows with the servers' settings in a process of its own; it starts them as the
same script with a first argument naming the part (``_client plan.json``,
``_prepare ...``). ``run_part`` runs that part instead of the bench;
``async_part`` and ``json_part`` make the usual kinds of part.

Nothing here imports Django: a part that needs it calls ``django.setup()`` itself.
"""

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

from bench.ws_fanout import raise_fd_limit


def run_part(argv: list[str], parts: dict[str, Callable[..., object]]) -> bool:
    """Run the part ``argv[0]`` names with the other arguments (strings); False when
    ``argv`` names no part (the bench itself is to run)."""
    if not argv or argv[0] not in parts:
        return False
    parts[argv[0]](*argv[1:])
    return True


def read_json(path: str):
    """A part's plan, which the bench wrote to a file (too long for a command line)."""
    return json.loads(Path(path).read_text())


def async_part(function: Callable, *converters: Callable[[str], object]) -> Callable[..., None]:
    """A part running ``asyncio.run(function(*arguments))`` (sockets: the client side, a
    baseline server), each argument converted from its string first, with room for many
    open files."""

    def part(*arguments: str) -> None:
        raise_fd_limit()
        asyncio.run(function(*_converted(converters, arguments)))

    return part


def json_part(function: Callable, *converters: Callable[[str], object]) -> Callable[..., None]:
    """A part printing ``function(*arguments)`` as its last line, in JSON (what seeding
    made: ids, cookies), each argument converted from its string first."""

    def part(*arguments: str) -> None:
        print(json.dumps(function(*_converted(converters, arguments))), flush=True)

    return part


def _converted(converters, arguments) -> list:
    return [convert(value) for convert, value in zip(converters, arguments, strict=True)]
