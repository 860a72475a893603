"""Print the shape of the package: modules per folder, the biggest modules, import cycles,
and the imports that go from the mirror or the simulator into the tap.

    python scripts/import_graph.py [PACKAGE_DIR]

Lazy imports (inside functions) count. Used for the before/after figures of a reshaping.
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from collections.abc import Collection
from pathlib import Path

import networkx as nx

WINGS = ("tap_pinterest.mirror", "tap_pinterest.simulator")


def module_name(root: Path, path: Path) -> str:
    """The dotted name of the module in `path`, under the package directory `root`."""
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, modules: Collection[str] = ()) -> set[str]:
    """What a file imports, at any depth (lazy imports count), absolute imports only.

    `from package import name` is the module `package.name` where `modules` holds it,
    else `package`. (tests/test_layering.py checks the package's layers with it.)
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in modules else node.module)
    return found


def main(root: Path) -> None:
    files = {module_name(root, p): p for p in sorted(root.rglob("*.py"))}
    graph = nx.DiGraph()
    for name, path in files.items():
        graph.add_node(name)
        found = imports(path, files.keys()) & files.keys()
        graph.add_edges_from((name, other) for other in found - {name})

    per_folder = Counter(p.parent.relative_to(root.parent).as_posix() for p in files.values())
    print("modules per folder:")
    for folder, count in sorted(per_folder.items()):
        print(f"  {count:3d}  {folder}/")
    sizes = sorted(((len(p.read_text().splitlines()), n) for n, p in files.items()), reverse=True)
    print("biggest modules:", ", ".join(f"{n} ({lines} lines)" for lines, n in sizes[:3]))
    print(f"modules over 400 lines: {sum(lines > 400 for lines, _ in sizes)}")

    # Cycles between modules, ignoring a package's __init__ re-exporting its own modules.
    between = nx.DiGraph(
        (a, b) for a, b in graph.edges if not (b.startswith(f"{a}.") or a.startswith(f"{b}."))
    )
    cycles = [sorted(c) for c in nx.strongly_connected_components(between) if len(c) > 1]
    print(f"import cycles: {len(cycles)}")
    for cycle in cycles:
        print("  ", " <-> ".join(cycle))

    def wing(name: str) -> str | None:
        return next((w for w in WINGS if name == w or name.startswith(f"{w}.")), None)

    upward = sorted(
        (a, b)
        for a, b in graph.edges
        if wing(a) and not wing(b) and b not in {"tap_pinterest", "tap_pinterest.serving"}
    )
    print(f"imports from the mirror or the simulator into the tap: {len(upward)}")
    for a, b in upward:
        print(f"   {a} -> {b}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "tap_pinterest").resolve())
