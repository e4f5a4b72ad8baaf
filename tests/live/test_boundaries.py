"""Nothing but the live bus talks to the channel layer (DESIGN §3)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUS = ROOT / "workspace" / "live"
SKIP = {".venv", ".git", "node_modules", "staticfiles", "media", "__pycache__"}
LAYER_USE = re.compile(
    r"\b(group_send|group_add|group_discard|get_channel_layer|channel_layers|channel_layer)\b"
)


def python_files():
    for path in ROOT.rglob("*.py"):
        parts = set(path.relative_to(ROOT).parts)
        if not parts & SKIP and path != Path(__file__).resolve():
            yield path


def test_only_the_bus_touches_the_channel_layer():
    offenders = []
    for path in python_files():
        if BUS in path.parents:
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if LAYER_USE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "Publish with workspace.live.publish() instead:\n" + "\n".join(
        offenders
    )


def test_the_check_would_catch_a_direct_group_send():
    assert LAYER_USE.search("async_to_sync(get_channel_layer().group_send)('g', {})")
    assert LAYER_USE.search("await self.channel_layer.group_add(topic, self.channel_name)")
    assert not LAYER_USE.search("live.publish('client.1', 'client.updated')")


def test_the_scan_covers_the_apps():
    scanned = {path.relative_to(ROOT).parts[0] for path in python_files()}
    assert {"accounts", "workspace", "tests"} <= scanned
