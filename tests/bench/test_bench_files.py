"""What every file in bench/ must be, checked without running it."""

import ast
import sys

import pytest

from tests.bench.toys import BENCH, SCRIPTS


def test_the_benches_are_found():
    """The glob finds the benches (an empty list would pass everything above)."""
    names = {path.stem for path in SCRIPTS}
    assert {"ws_fanout", "automation", "calendar_feed"} <= names
    assert "toy" not in names and "asgi" not in names  # helpers, not benches


@pytest.mark.parametrize("path", sorted(BENCH.glob("*.py")), ids=lambda path: path.stem)
def test_no_bench_module_hides_the_standard_library(path):
    """bench/ is a script's folder: a module named like a standard one hides it
    (bench/calendar.py once broke every bench that imported ``calendar``)."""
    assert path.stem not in sys.stdlib_module_names


def assignments(body: list[ast.stmt]) -> dict[str, tuple[int, str]]:
    """The module's top-level ``target = value`` statements: target -> (index, value)."""
    found = {}
    for index, statement in enumerate(body):
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = ast.unparse(statement.targets[0]), ast.unparse(statement.value)
            found.setdefault(target, (index, value))
    return found


def imported(statement: ast.stmt) -> list[str]:
    if isinstance(statement, ast.Import):
        return [alias.name for alias in statement.names]
    if isinstance(statement, ast.ImportFrom):
        return [statement.module or ""]
    return []


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.stem)
def test_each_bench_puts_the_repository_first_on_the_path(script):
    """Run as a script, a bench has its own folder first on ``sys.path``: it replaces it
    with the repository root before importing anything but the standard library."""
    body = ast.parse(script.read_text()).body
    found = assignments(body)
    assert "sys.path[0]" in found, "no top-level sys.path[0] = str(ROOT)"
    at, value = found["sys.path[0]"]
    assert value == "str(ROOT)"
    root_at, root = found["ROOT"]
    assert root_at < at and root == "Path(__file__).resolve().parent.parent"
    before = [name for statement in body[:at] for name in imported(statement)]
    assert all(name.split(".")[0] in sys.stdlib_module_names for name in before), before
