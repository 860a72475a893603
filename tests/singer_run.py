"""Run the tap in-process and collect the Singer messages it writes."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tap_pinterest.tap import TapPinterest


@dataclass
class SyncResult:
    """The messages of one sync, by type."""

    records: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    states: list[dict[str, Any]] = field(default_factory=list)
    #: Every message, in the order written.
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def final_state(self) -> dict[str, Any]:
        return self.states[-1] if self.states else {}

    def ids(self, stream: str) -> list[str]:
        return [record["id"] for record in self.records.get(stream, [])]


def parse_messages(lines: str) -> SyncResult:
    result = SyncResult()
    for line in lines.splitlines():
        message = json.loads(line)
        result.messages.append(message)
        if message["type"] == "RECORD":
            result.records[message["stream"]].append(message["record"])
        elif message["type"] == "SCHEMA":
            result.schemas[message["stream"]] = message
        elif message["type"] == "STATE":
            result.states.append(message["value"])
    return result


def selecting(config: dict[str, Any], streams: list[str]) -> dict[str, Any]:
    """The tap's catalog with only ``streams`` selected (their parents stay unselected)."""
    catalog = TapPinterest(config=config).catalog_dict
    for entry in catalog["streams"]:
        selected = entry["tap_stream_id"] in streams
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = selected
    return catalog


def run_tap(
    config: dict[str, Any],
    *,
    state: dict[str, Any] | None = None,
    streams: list[str] | None = None,
) -> SyncResult:
    """Sync in this process; ``streams`` narrows the selection (parents stay unselected)."""
    tap = TapPinterest(config=config, state=state or {})
    if streams is not None:
        catalog = selecting(config, streams)
        tap = TapPinterest(config=config, state=state or {}, catalog=catalog)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        tap.sync_all()
    return parse_messages(out.getvalue())


def run_cli(
    config: dict[str, Any], tmp_path: Path, *args: str, clock: dt.datetime | None = None
) -> subprocess.CompletedProcess:
    """Run ``tap-pinterest`` as a user would, with ``config`` written to a file.

    ``clock``: the moment the tap's clock starts at (it ticks on from there). A test that
    freezes its own clock passes the same moment, so that the tap and the simulator
    agree on the date whatever the real date is.
    """
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    launcher = ["-m"] if clock is None else [str(FROZEN_RUN), clock.isoformat()]
    return subprocess.run(
        [sys.executable, *launcher, "tap_pinterest", "--config", str(config_path), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


REPO = Path(__file__).resolve().parent.parent
FROZEN_RUN = Path(__file__).resolve().with_name("frozen_run.py")
MELTANO = Path(sys.executable).with_name("meltano")


def meltano_run(loader: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``meltano run tap-pinterest <loader>`` in the repository; fails the test on error."""
    result = subprocess.run(
        [str(MELTANO), "run", "tap-pinterest", loader],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result


def own_lines(stderr: str) -> list[str]:
    """The lines a command printed to stderr, less the platform's end-of-life notice.

    singer-sdk warns through Python's ``warnings`` (the location, then the indented
    source line; the tap logs it with a blank line after) that the interpreter nears or
    has passed its end of life, for Python 3.11 from 2027-04. That notice is the
    platform's, not the command's: tests that count the lines a command prints leave it
    out, so they hold on any date.
    """
    out: list[str] = []
    in_notice = False
    for line in stderr.splitlines():
        if "SingerSDKPythonEOLWarning:" in line:
            in_notice = True
        elif not in_notice or (line.strip() and not line.startswith(" ")):
            in_notice = False
            out.append(line)
    return out
