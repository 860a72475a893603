"""The stream schemas load in an editable install and from a built wheel.

The wheel carries ``schemas/`` as ``tap_pinterest/schemas/`` through hatch's force-include,
which does not apply to editable installs; there ``tap_pinterest.schema_files`` falls back to the
repository's ``schemas/``. Both paths are checked here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

import tap_pinterest
from tap_pinterest import schema_files

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = REPO_ROOT / "schemas"
STREAMS = sorted(path.stem for path in SCHEMAS_DIR.glob("*.json"))

# Runs in a python without site (-S): the editable install's .pth is not read, so the only
# tap_pinterest importable is the one installed from the wheel.
_PROBE = """
import json, sys
import tap_pinterest
from tap_pinterest import schema_files
for name in sys.argv[1:]:
    assert schema_files.load_schema(name)["type"] == "object", name
found = {"package": tap_pinterest.__file__, "schemas_dir": str(schema_files.schemas_dir())}
print(json.dumps(found))
"""


def build_wheel(source: Path, outdir: Path) -> Path:
    """Build the project at ``source`` into a wheel in ``outdir``."""
    result = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"wheel build failed:\n{result.stdout}\n{result.stderr}"
    (wheel,) = outdir.glob("*.whl")
    return wheel


def probe_wheel(wheel: Path, workdir: Path, streams: Sequence[str]) -> dict[str, str]:
    """Install ``wheel`` into ``workdir/target`` and load every stream's schema from there.

    Returns the probe's ``package`` file and ``schemas_dir``.
    """
    target = workdir / "target"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--target", str(target), str(wheel)],
        check=True,
    )  # fmt: skip
    site_packages = sysconfig.get_paths()["purelib"]  # the dependencies, not the repo
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), site_packages])}
    result = subprocess.run(
        [sys.executable, "-S", "-c", _PROBE, *streams],
        cwd=workdir,  # not the repo: -c puts the working directory on sys.path
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"loading schemas from the wheel failed:\n{result.stderr}"
    probe: dict[str, str] = json.loads(result.stdout)
    probe["target"] = str(target)
    return probe


def test_editable_install_reads_the_repo_schemas() -> None:
    package_dir = Path(tap_pinterest.__file__).resolve().parent
    assert package_dir == REPO_ROOT / "tap_pinterest", (
        "these tests expect tap_pinterest from this checkout (pip install -e .)"
    )
    assert Path(str(schema_files.schemas_dir())).resolve() == SCHEMAS_DIR
    expected = json.loads((SCHEMAS_DIR / "pins.json").read_text(encoding="utf-8"))
    assert schema_files.load_schema("pins") == expected


def test_load_schema_returns_a_copy() -> None:
    schema_files.load_schema("boards")["properties"].clear()
    assert schema_files.load_schema("boards")["properties"]


def test_unknown_stream_is_named_in_the_error() -> None:
    with pytest.raises(schema_files.SchemaNotFoundError, match="no_such_stream"):
        schema_files.load_schema("no_such_stream")
    with pytest.raises(ValueError, match="Invalid stream name"):
        schema_files.load_schema("../pyproject")


def test_built_wheel_carries_and_loads_the_schemas(tmp_path: Path) -> None:
    assert STREAMS, f"no schemas in {SCHEMAS_DIR}"
    wheel = build_wheel(REPO_ROOT, tmp_path / "dist")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [s for s in STREAMS if f"tap_pinterest/schemas/{s}.json" not in names]
    assert not missing, f"{wheel.name} lacks tap_pinterest/schemas/ for {missing}"

    probe = probe_wheel(wheel, tmp_path, STREAMS)
    target = Path(probe["target"])
    assert Path(probe["package"]).is_relative_to(target), probe
    assert Path(probe["schemas_dir"]) == target / "tap_pinterest" / "schemas", probe
