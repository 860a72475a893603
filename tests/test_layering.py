"""Which parts of the package may import which (STYLE.md, "Layout"): the simulator and
the mirror stand apart from the tap, and the streams sit below the tap."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tap_pinterest"
SHARED = {"tap_pinterest.serving"}  # imports nothing from the package itself


def _imports(path: Path) -> set[str]:
    """The tap_pinterest modules a file imports (at any depth: lazy imports count)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name.split(".")[0] == "tap_pinterest"}


def _files(part: str) -> list[Path]:
    files = sorted((PACKAGE / part).rglob("*.py"))
    assert files, part
    return files


def _name(path: Path) -> str:
    """`tap_pinterest/mirror/db/store.py` -> `tap_pinterest.mirror.db.store`."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _outside(path: Path, allowed: tuple[str, ...]) -> set[str]:
    return {
        name
        for name in _imports(path)
        if name not in SHARED and not any(name == a or name.startswith(f"{a}.") for a in allowed)
    }


@pytest.mark.parametrize("path", _files("simulator"), ids=lambda p: p.name)
def test_the_simulator_imports_nothing_from_the_tap(path: Path) -> None:
    assert _outside(path, ("tap_pinterest.simulator",)) == set()


#: The mirror's one wiring point to the live API: its command line may import the tap's
#: adapter `tap_pinterest.live` (and hands its `list`/`get` to the executor as callables).
MIRROR_WIRING = {"tap_pinterest.mirror.serve.cli": ("tap_pinterest.live",)}
#: The tap's own modules: what a mirror module must never import, directly.
TAP = ("tap_pinterest.tap", "tap_pinterest.client", "tap_pinterest.streams")
TAP += ("tap_pinterest.config", "tap_pinterest.errors")
#: Inside the mirror, the layers go one way: front ends -> read side -> shared database,
#: and the write side -> shared database. Every mirror module sits in one of these.
MIRROR_LAYERS = {
    "tap_pinterest.mirror.db": (),
    "tap_pinterest.mirror.load": ("tap_pinterest.mirror.db",),
    "tap_pinterest.mirror.query": ("tap_pinterest.mirror.db",),
    "tap_pinterest.mirror.serve": ("tap_pinterest.mirror.query", "tap_pinterest.mirror.db"),
}


def _within(name: str, parts: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(f"{p}.") for p in parts)


@pytest.mark.parametrize("path", _files("mirror"), ids=_name)
def test_the_mirror_needs_only_singer_messages(path: Path) -> None:
    allowed = ("tap_pinterest.mirror", *MIRROR_WIRING.get(_name(path), ()))
    assert _outside(path, allowed) == set()
    assert not {name for name in _imports(path) if _within(name, TAP)}


def test_the_rule_sees_an_import_of_the_tap(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("def f():\n    from tap_pinterest.client import PinterestStream\n")
    assert _outside(sneaky, ("tap_pinterest.mirror",)) == {"tap_pinterest.client"}


@pytest.mark.parametrize(
    "path",
    [p for p in _files("mirror") if p.parent != PACKAGE / "mirror"],
    ids=_name,
)
def test_the_mirrors_layers_go_one_way(path: Path) -> None:
    name = _name(path)
    [layer] = [layer for layer in MIRROR_LAYERS if _within(name, (layer,))]
    mirror = {n for n in _imports(path) if _within(n, ("tap_pinterest.mirror",))}
    assert not {n for n in mirror if not _within(n, (layer, *MIRROR_LAYERS[layer]))}
    assert "tap_pinterest.mirror" not in mirror  # the package's API imports the layers


def test_the_mirror_has_no_import_cycles() -> None:
    graph = {
        _name(p): {n for n in _imports(p) if _within(n, ("tap_pinterest",))}
        for p in _files("mirror")
    }
    done: set[str] = set()

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, " -> ".join((*path, node))
        if node in done:
            return
        for nxt in graph.get(node, ()):
            visit(nxt, (*path, node))
        done.add(node)

    for node in graph:
        visit(node, ())


def test_the_tap_never_imports_the_mirror() -> None:
    """Only `live.py`, the adapter the mirror's command line wires in, joins the two."""
    tap = [
        p
        for p in PACKAGE.rglob("*.py")
        if not _within(_name(p), ("tap_pinterest.mirror", "tap_pinterest.simulator"))
    ]
    importers = {
        _name(p) for p in tap if {n for n in _imports(p) if _within(n, ("tap_pinterest.mirror",))}
    }
    assert importers == {"tap_pinterest.live"}


@pytest.mark.parametrize("path", _files("streams"), ids=lambda p: p.name)
def test_streams_never_import_the_tap(path: Path) -> None:
    assert "tap_pinterest.tap" not in _imports(path)


def test_the_client_never_imports_the_streams() -> None:
    assert not {n for n in _imports(PACKAGE / "client.py") if n.startswith("tap_pinterest.streams")}


def test_the_shared_server_module_imports_nothing_from_the_package() -> None:
    assert _imports(PACKAGE / "serving.py") == set()
