"""What the resilience tests share: a simulator on a frozen (ticking) clock, the tap and
the target run as a user runs them (subprocesses), and the mirror's whole content.

The tap's process starts its clock at `FROZEN` (tests/frozen_run.py) and the tests'
process travels to the same moment, so the tap and the simulator agree on "today"
whatever the real date is.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tap_pinterest.mirror import Mirror
from tap_pinterest.simulator import Simulator
from tests.singer_run import FROZEN_RUN, SyncResult, parse_messages, selecting

FROZEN = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
BIN = Path(sys.executable).parent
#: The streams the suite syncs: every kind (full table, incremental per account, child
#: streams, ads and organic analytics in batches, catalogs), without the largest ones.
STREAMS = [
    "user_account",
    "ad_accounts",
    "campaigns",
    "ad_groups",
    "ads",
    "keywords",
    "campaign_analytics",
    "boards",
    "board_sections",
    "board_pins",
    "pins",
    "catalogs",
]
#: 300 pins: two pages of pins and of board pins.
SCALE = 0.6


def tap_config(sim: Simulator, **extra: Any) -> dict[str, Any]:
    return {
        **sim.tap_config(),
        "retry_base_wait_seconds": 0.05,
        "analytics_columns": ["SPEND_IN_MICRO_DOLLAR", "IMPRESSION_1", "CLICKTHROUGH_1"],
        **extra,
    }


@dataclass
class Files:
    """The files of one scenario: config, catalog, state."""

    folder: Path
    config: dict[str, Any]
    streams: list[str] = field(default_factory=lambda: list(STREAMS))
    #: Runs started so far (see `tap_command`).
    runs: int = 0

    def tap_args(self, state: dict[str, Any] | None = None) -> list[str]:
        config = self.folder / "tap.json"
        config.write_text(json.dumps(self.config))
        catalog = self.folder / "catalog.json"
        if not catalog.exists():
            catalog.write_text(json.dumps(selecting(self.config, self.streams)))
        args = ["--config", str(config), "--catalog", str(catalog)]
        if state:
            path = self.folder / "state.json"
            path.write_text(json.dumps(state))
            args += ["--state", str(path)]
        return args


def tap_command(args: list[str], run: int = 0) -> list[str]:
    """`tap-pinterest ARGS` on a clock that starts at FROZEN plus `run` minutes (runs
    that follow one another start at different times, as their table versions do)."""
    moment = FROZEN + dt.timedelta(minutes=run)
    return [sys.executable, str(FROZEN_RUN), moment.isoformat(), "tap_pinterest", *args]


@dataclass
class TapRun:
    returncode: int
    messages: SyncResult
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("Error: ")]


def run_tap(files: Files, state: dict[str, Any] | None = None) -> TapRun:
    result = subprocess.run(
        tap_command(files.tap_args(state)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return TapRun(result.returncode, parse_messages(result.stdout), result.stdout, result.stderr)


def target_config(folder: Path, db_url: str) -> Path:
    path = folder / "mirror.json"
    path.write_text(json.dumps({"database_url": db_url, "state_interval_seconds": 0}))
    return path


def present(record: dict[str, Any]) -> dict[str, Any]:
    """The record's top-level fields that hold a value: the mirror returns every field
    its schema declares, null where the record had none, so a field the tap left out and
    a null one compare the same."""
    return {key: value for key, value in record.items() if value is not None}


def records_by_key(result: SyncResult) -> dict[str, dict[str, Any]]:
    """Each stream's records by primary key as emitted (the last one wins, as in a target),
    without their null fields (:func:`present`)."""
    keys = {stream: message["key_properties"] for stream, message in result.schemas.items()}
    out: dict[str, dict[str, Any]] = {}
    for stream, records in result.records.items():
        table = out.setdefault(stream, {})
        for record in records:
            table[json.dumps([record.get(k) for k in keys[stream]])] = present(record)
    return out


def mirror_content(db_url: str, keys: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """Every record of every stream in the mirror, by key (`keys`: each stream's key
    properties), without their null fields (:func:`present`)."""
    out: dict[str, dict[str, Any]] = {}
    with Mirror(db_url) as mirror:
        for stream in mirror.stats():
            table = out.setdefault(stream, {})
            cursor = None
            while True:
                page = mirror.search(stream, limit=1000, cursor=cursor)
                for record in page["data"]:
                    table[json.dumps([record.get(k) for k in keys[stream]])] = present(record)
                cursor = page["meta"]["cursor"]
                if not page["meta"]["has_more"]:
                    break
    return out
