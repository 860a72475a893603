"""Which parts of the package may import which (STYLE.md, "Layout"): the simulator and
the mirror stand apart from the tap, whose modules sit in layers, each importing only its
own layer and the ones below (errors, settings and schema files; then the client and
auth; then the streams; then the tap), and the simulator's and the mirror's
sub-packages depend one way, without cycles."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "tap_pinterest"
sys.path.insert(0, str(REPO / "scripts"))

import import_graph  # noqa: E402

SHARED = {"tap_pinterest.serving"}  # imports nothing from the package itself
#: The tap's modules, from the ground up; a module imports only from its layer or below.
LAYERS = (
    {
        "tap_pinterest.settings",
        "tap_pinterest.errors",
        "tap_pinterest.schema_files",
        "tap_pinterest.config",
        "tap_pinterest.pacing",
        "tap_pinterest.reporting",
        "tap_pinterest.bodies",
        "tap_pinterest.stopping",
        "tap_pinterest.scoping",
    },
    {
        "tap_pinterest.fanout",
        "tap_pinterest.output",
        "tap_pinterest.run_state",
        "tap_pinterest.output_stream",
        "tap_pinterest.retrying",
        "tap_pinterest.client",
        "tap_pinterest.auth",
    },
    {"tap_pinterest.streams"},
    {"tap_pinterest.tap", "tap_pinterest.__main__"},
    # The tap's live list/get for the mirror's command line: it stands on the tap.
    {"tap_pinterest.live"},
)
SIMULATOR = "tap_pinterest.simulator"
# The simulator's sub-packages, top to bottom: each imports only itself and those after
# it. The simulator's top-level modules (__init__, server, cli) wire them together.
SIMULATOR_LAYERS = ("api", "endpoints", "analytics", "data")


def _imports(path: Path) -> set[str]:
    """The tap_pinterest modules a file imports (at any depth: lazy imports count)."""
    return {name for name in import_graph.imports(path) if name.split(".")[0] == "tap_pinterest"}


def _files(part: str, *, recursive: bool = False) -> list[Path]:
    folder = PACKAGE / part
    files = sorted(folder.rglob("*.py") if recursive else folder.glob("*.py"))
    assert files, part
    return files


def _name(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _module(path: Path) -> str:
    return import_graph.module_name(PACKAGE, path)


def _simulator_layer(module: str) -> int | None:
    """The index in SIMULATOR_LAYERS of a simulator module; None at the top level."""
    parts = module.split(".")
    if len(parts) > 2 and parts[2] in SIMULATOR_LAYERS:
        return SIMULATOR_LAYERS.index(parts[2])
    return None


def _outside(path: Path, allowed: tuple[str, ...]) -> set[str]:
    return {
        name
        for name in _imports(path)
        if name not in SHARED and not any(name == a or name.startswith(f"{a}.") for a in allowed)
    }


@pytest.mark.parametrize("path", _files("simulator", recursive=True), ids=_name)
def test_the_simulator_imports_nothing_from_the_tap(path: Path) -> None:
    assert _outside(path, ("tap_pinterest.simulator",)) == set()


def test_every_simulator_sub_package_has_a_layer() -> None:
    packages = {p.parent.name for p in (PACKAGE / "simulator").glob("*/__init__.py")}
    assert packages == set(SIMULATOR_LAYERS)


@pytest.mark.parametrize(
    "path",
    [p for p in _files("simulator", recursive=True) if _simulator_layer(_module(p)) is not None],
    ids=_name,
)
def test_the_simulator_sub_packages_import_one_way(path: Path) -> None:
    """api -> endpoints -> analytics -> data: never back up, nor to the top level."""
    own = _simulator_layer(_module(path))
    assert own is not None
    backward = set()
    for name in _imports(path):
        if name == SIMULATOR or name.startswith(f"{SIMULATOR}."):
            layer = _simulator_layer(name)
            if layer is None or layer < own:
                backward.add(name)
    assert backward == set()


def _graph(part: str) -> dict[str, set[str]]:
    """The imports between the modules of a part of the package (lazy ones too)."""
    modules = {_module(p): p for p in _files(part, recursive=True)}
    return {
        name: (import_graph.imports(path, modules.keys()) & modules.keys()) - {name}
        for name, path in modules.items()
    }


def _assert_no_cycles(graph: dict[str, set[str]]) -> None:
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            cycle = (*path[path.index(name) :], name)
            pytest.fail(f"import cycle: {' -> '.join(cycle)}")
        if name not in done:
            for imported in sorted(graph[name]):
                visit(imported, (*path, name))
            done.add(name)

    for name in sorted(graph):
        visit(name, ())


def test_the_simulator_has_no_import_cycles() -> None:
    _assert_no_cycles(_graph("simulator"))


def test_a_cycle_is_found() -> None:
    with pytest.raises(pytest.fail.Exception, match="a -> b -> a"):
        _assert_no_cycles({"a": {"b"}, "b": {"a"}})


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


@pytest.mark.parametrize("path", _files("mirror", recursive=True), ids=_name)
def test_the_mirror_needs_only_singer_messages(path: Path) -> None:
    allowed = ("tap_pinterest.mirror", *MIRROR_WIRING.get(_module(path), ()))
    assert _outside(path, allowed) == set()
    assert not {name for name in _imports(path) if _within(name, TAP)}


def test_the_rule_sees_an_import_of_the_tap(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("def f():\n    from tap_pinterest.client import PinterestStream\n")
    assert _outside(sneaky, ("tap_pinterest.mirror",)) == {"tap_pinterest.client"}


@pytest.mark.parametrize(
    "path",
    [p for p in _files("mirror", recursive=True) if p.parent != PACKAGE / "mirror"],
    ids=_name,
)
def test_the_mirrors_layers_go_one_way(path: Path) -> None:
    name = _module(path)
    [layer] = [layer for layer in MIRROR_LAYERS if _within(name, (layer,))]
    mirror = {n for n in _imports(path) if _within(n, ("tap_pinterest.mirror",))}
    assert not {n for n in mirror if not _within(n, (layer, *MIRROR_LAYERS[layer]))}
    assert "tap_pinterest.mirror" not in mirror  # the package's API imports the layers


def test_the_mirror_has_no_import_cycles() -> None:
    _assert_no_cycles(_graph("mirror"))


def test_the_tap_never_imports_the_mirror() -> None:
    """Only `live.py`, the adapter the mirror's command line wires in, joins the two."""
    apart = ("tap_pinterest.mirror", "tap_pinterest.simulator")
    tap = [p for p in PACKAGE.rglob("*.py") if not _within(_module(p), apart)]
    importers = {
        _module(p) for p in tap if any(_within(n, ("tap_pinterest.mirror",)) for n in _imports(p))
    }
    assert importers == {"tap_pinterest.live"}


@pytest.mark.parametrize("path", _files("streams", recursive=True), ids=_name)
def test_streams_never_import_the_tap(path: Path) -> None:
    assert "tap_pinterest.tap" not in _imports(path)


def _layer(module: str) -> int:
    for rank, layer in enumerate(LAYERS):
        if any(module == name or module.startswith(f"{name}.") for name in layer):
            return rank
    raise LookupError(module)


#: Every module of the tap: all but the mirror, the simulator and the shared server.
TAP_MODULES = [
    path
    for path in sorted(PACKAGE.rglob("*.py"))
    if path.relative_to(PACKAGE).parts[0] not in {"mirror", "simulator"}
    and _module(path) not in {*SHARED, "tap_pinterest"}
]


@pytest.mark.parametrize("path", TAP_MODULES, ids=_name)
def test_the_tap_imports_only_from_its_own_layer_or_below(path: Path) -> None:
    rank = _layer(_module(path))
    # The mirror is a part of its own (only live.py may import it: tested above).
    tap_imports = {n for n in _imports(path) - SHARED if not _within(n, ("tap_pinterest.mirror",))}
    above = {name for name in tap_imports if _layer(name) > rank}
    assert above == set(), f"{_module(path)} (layer {rank}) imports from a higher layer"


def test_settings_import_nothing_from_the_package() -> None:
    assert _imports(PACKAGE / "settings.py") == set()


@pytest.mark.parametrize("name", ["settings.py", "config.py"])
def test_settings_and_config_import_neither_client_nor_streams(name: str) -> None:
    imported = _imports(PACKAGE / name)
    assert not {
        n for n in imported if n.startswith(("tap_pinterest.client", "tap_pinterest.streams"))
    }


def test_the_client_never_imports_the_streams() -> None:
    assert not {n for n in _imports(PACKAGE / "client.py") if n.startswith("tap_pinterest.streams")}


def test_the_shared_server_module_imports_nothing_from_the_package() -> None:
    assert _imports(PACKAGE / "serving.py") == set()
