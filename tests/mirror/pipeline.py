"""A mirror loaded the real way: `tap-pinterest` piped into `target-pinterest-mirror`.

test_cli.py and test_server.py import these fixtures; the pipeline runs once per test
session however many modules use them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import expected_records

from tap_pinterest.mirror import Mirror
from tap_pinterest.simulator import Simulator

BIN = Path(sys.executable).parent
SEED = 3


@dataclass(frozen=True)
class Loaded:
    """A mirror database loaded from a full sync of ``Simulator(seed=SEED)``."""

    url: str
    directory: Path
    records: dict[str, list[dict[str, Any]]]


def load_mirror(sim: Simulator, directory: Path, url: str | None) -> None:
    """Pipe a full sync of ``sim`` into the target writing to ``url`` (None: the target's
    default, in ``directory``)."""
    tap_config = directory / "tap.json"
    tap_config.write_text(json.dumps(sim.tap_config()))
    target_config = directory / "target.json"
    target_config.write_text(json.dumps({} if url is None else {"database_url": url}))
    with (directory / "tap.log").open("w") as tap_log:
        tap = subprocess.Popen(
            [str(BIN / "tap-pinterest"), "--config", str(tap_config)],
            stdout=subprocess.PIPE,
            stderr=tap_log,
        )
        target = subprocess.run(
            [str(BIN / "target-pinterest-mirror"), "--config", str(target_config)],
            stdin=tap.stdout,
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert tap.stdout is not None
        tap.stdout.close()
        tap_status = tap.wait(timeout=300)
    assert target.returncode == 0, target.stderr[-3000:]
    assert tap_status == 0, (directory / "tap.log").read_text()[-3000:]


_LOADED: list[Loaded] = []


@pytest.fixture(scope="session")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    """A full sync (loaded once) into the target's default database, which the target
    creates in a directory with no `output/` yet (where the CLI looks by default)."""
    if not _LOADED:
        directory = tmp_path_factory.mktemp("mirror")
        with Simulator(seed=SEED, scale=1) as sim:
            load_mirror(sim, directory, None)
            url = f"sqlite:///{directory / 'output' / 'pinterest-mirror.db'}"
            _LOADED.append(Loaded(url, directory, expected_records(sim.dataset)))
    return _LOADED[0]


@pytest.fixture(scope="session")
def mirror_records(loaded: Loaded) -> dict[str, list[dict[str, Any]]]:
    """What the sync emitted, per stream."""
    return loaded.records


@pytest.fixture(scope="session")
def mirror(loaded: Loaded) -> Iterator[Mirror]:
    """The real Mirror over the loaded database."""
    with Mirror(loaded.url) as opened:
        yield opened
