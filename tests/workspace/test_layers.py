"""The one direction of dependencies (docs/ARCHITECTURE.md, "Map").

Layers, bottom to top: workspace ← accounts ← records ← chat, calendar_app ←
reports, marketing, integrations, automation ← demo. A module imports only from
its own layer and the ones below, and never another app's underscore names.
Imports are read with ``ast`` (inside functions too), so a planted upward import
fails here with its file, line and the rule it breaks. No two areas import each
other either, even through a chain: the only cycles allowed are a package's
``__init__`` re-exporting the modules that import it.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

LAYERS = {
    "workspace": 0,
    "accounts": 1,
    "records": 2,
    "chat": 3,
    "calendar_app": 3,
    "reports": 4,
    "marketing": 4,
    "integrations": 4,
    "automation": 4,
    "demo": 5,
}


def imports(path: Path):
    """``(line, module, name)`` for every absolute import in ``path`` (name None for
    ``import module``)."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield from ((node.lineno, node.module, alias.name) for alias in node.names)


def is_private(module: str, name: str | None) -> bool:
    parts = [*module.split("."), name or ""]
    return any(part.startswith("_") and not part.startswith("__") for part in parts)


def broken_rules(app: str, path: Path, root: Path = ROOT) -> list[str]:
    found = []
    where = path.relative_to(root)
    for line, module, name in imports(path):
        other = module.split(".")[0]
        if other not in LAYERS or other == app:
            continue
        imported = f"{module}.{name}" if name else module
        if LAYERS[other] > LAYERS[app]:
            found.append(
                f"{where}:{line}: {app} (layer {LAYERS[app]}) imports {imported} from a layer "
                f"above it ({other}, layer {LAYERS[other]}); invert it: {other} registers a "
                f"handler with {app}, or the caller passes in what {app} needs"
            )
        if is_private(module, name):
            found.append(f"{where}:{line}: {app} imports {imported}, an underscore name of {other}")
    return found


def app_modules():
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            yield app, path


def test_no_module_imports_upwards_or_another_apps_private_names():
    problems = [problem for app, path in app_modules() for problem in broken_rules(app, path)]
    assert problems == [], "\n".join(problems)


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the project modules it imports (``from a import b``: ``a.b`` if a module)."""
    paths = {
        module_name(path, root): path
        for app in LAYERS
        for path in (root / app).rglob("*.py")
        if "migrations" not in path.parts
    }
    graph = {}
    for module, path in paths.items():
        targets = set()
        for _line, imported, name in imports(path):
            target = f"{imported}.{name}" if f"{imported}.{name}" in paths else imported
            while target and target not in paths:
                target = target.rpartition(".")[0]
            if target and target != module:
                targets.add(target)
        graph[module] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    order, low, stack, found = {}, {}, [], []

    def visit(module):
        order[module] = low[module] = len(order)
        stack.append(module)
        for target in graph[module]:
            if target not in order:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], order[target])
        if low[module] == order[module]:
            component = []
            while not component or component[-1] != module:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in order:
            visit(module)
    return found


def is_one_package(component: list[str]) -> bool:
    """A package and its own modules (its ``__init__`` re-exports them)."""
    return any(all(m == p or m.startswith(p + ".") for m in component) for p in component)


def test_no_import_cycles_between_areas():
    crossing = [" -> ".join(c) for c in cycles(import_graph()) if not is_one_package(c)]
    assert crossing == [], "import cycles:\n" + "\n".join(crossing)


def test_the_rule_catches_a_planted_upward_import(tmp_path):
    planted = tmp_path / "records" / "planted.py"
    planted.parent.mkdir()
    planted.write_text("def f():\n    from chat.services import post_message\n")
    problems = broken_rules("records", planted, root=tmp_path)
    assert len(problems) == 1
    assert problems[0].startswith(
        "records/planted.py:2: records (layer 2) imports chat.services.post_message "
        "from a layer above it (chat, layer 3)"
    )


@pytest.mark.parametrize("app", sorted(LAYERS))
def test_every_layered_app_exists_or_is_yet_to_come(app):
    """A renamed app must be renamed here too, or the rule silently stops covering it."""
    coming = {"reports", "marketing", "integrations", "automation"}
    assert (ROOT / app / "__init__.py").exists() or app in coming
