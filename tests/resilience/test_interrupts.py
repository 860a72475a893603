"""Interrupted syncs: SIGKILL of the tap or of the target at seeded points, each run
resumed from the last STATE the target wrote, ends with exactly the ground truth on
SQLite and PostgreSQL; an interrupted sync deletes nothing it has not re-sent; SIGTERM
finishes the page in progress, writes the state and exits cleanly."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tap_pinterest.simulator import Simulator
from tests.resilience.harness import (
    BIN,
    SCALE,
    Files,
    mirror_content,
    records_by_key,
    run_tap,
    tap_command,
    tap_config,
    target_config,
)
from tests.singer_run import parse_messages

SEED = 9
PAGE = 250


def _start(files: Files, state: dict[str, Any] | None, db_url: str) -> tuple[Any, Any]:
    files.runs += 1
    tap = subprocess.Popen(
        tap_command(files.tap_args(state), run=files.runs),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    # the target's output goes to files: a pipe nobody reads while the relay writes
    # would fill up and block it
    with (
        (files.folder / "target.out").open("wb") as out,
        (files.folder / "target.err").open("wb") as err,
    ):
        target = subprocess.Popen(
            [
                str(BIN / "target-pinterest-mirror"),
                "--config",
                str(target_config(files.folder, db_url)),
            ],
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
        )
    return tap, target


def _pipe(
    files: Files, state: dict[str, Any] | None, db_url: str, kill: tuple[str, int] | None
) -> tuple[dict[str, Any] | None, bool]:
    """Relay the tap's lines to the target; with `kill` = (who, n), SIGKILL the tap or
    the target once n lines have passed. Returns the last STATE the target wrote (None
    if none) and whether the run was complete."""
    tap, target = _start(files, state, db_url)
    assert tap.stdout and target.stdin
    killed = None
    for passed, line in enumerate(tap.stdout, start=1):
        target.stdin.write(line)
        if kill and passed == kill[1]:
            killed = kill[0]
            victim = tap if killed == "tap" else target
            os.kill(victim.pid, signal.SIGKILL)
            break
    if killed == "target":
        target.wait(timeout=60)
        tap.kill()  # its next write would fail on the broken pipe
    else:
        target.stdin.close()  # the tap is gone: the target sees the end of its input
    tap.wait(timeout=300)
    target.wait(timeout=300)
    tap.stdout.close()
    if killed != "target":
        err = (files.folder / "target.err").read_text()
        assert target.returncode == 0, err[-3000:]
    out = (files.folder / "target.out").read_text().splitlines()
    # a SIGKILL may cut the last line short: a target never wrote it whole
    states = [json.loads(x) for x in out if x.endswith("}")]
    complete = killed is None and tap.returncode == 0
    return (states[-1] if states else None), complete


def _ground_truth(folder: Path, sim: Simulator) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """What a clean, complete sync of the simulator as it is now emits."""
    folder.mkdir()
    run = run_tap(Files(folder, tap_config(sim)))
    assert run.returncode == 0, run.stderr[-3000:]
    keys = {stream: m["key_properties"] for stream, m in run.messages.schemas.items()}
    return records_by_key(run.messages), keys


def _line_count(folder: Path, sim: Simulator, state: dict[str, Any] | None) -> int:
    """How many lines a run from `state` writes."""
    folder.mkdir()
    return len(run_tap(Files(folder, tap_config(sim)), state).stdout.splitlines())


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(seed=SEED, scale=SCALE) as simulator:
        yield simulator


def test_sigkill_at_seeded_points_resumes_to_the_ground_truth(
    sim: Simulator, db_url: str, tmp_path: Path
) -> None:
    files = Files(tmp_path / "runs", tap_config(sim, emit_activate_version_messages=True))
    files.folder.mkdir()
    state, complete = _pipe(files, None, db_url, None)  # a first complete load
    assert complete
    # Pins deleted at Pinterest: gone from the ground truth, and from the mirror only
    # once a sync of the pins completes.
    deleted = [p["id"] for p in sim.dataset.pins[10:13]]
    sim.dataset.delete("pins", deleted)
    truth, keys = _ground_truth(tmp_path / "truth", sim)
    lines = _line_count(tmp_path / "count", sim, state)  # a run resumed from the load
    rng = random.Random(SEED)
    kills = [(who, rng.randrange(2, lines - 1)) for who in ("tap", "target", "tap", "target")]
    for kill in kills:
        latest, complete = _pipe(files, state, db_url, kill)
        assert not complete
        state = latest or state
        content = mirror_content(db_url, keys)
        for stream, records in truth.items():  # nothing not re-sent is deleted
            missing = set(records) - set(content.get(stream, {}))
            assert not missing, (kill, stream, sorted(missing)[:5])
    _, complete = _pipe(files, state, db_url, None)
    assert complete
    content = mirror_content(db_url, keys)
    assert set(content) == set(truth)
    for stream, records in truth.items():
        assert content[stream] == records, stream
    assert not set(content["pins"]) & {json.dumps([p]) for p in deleted}


def test_sigterm_finishes_the_page_writes_state_and_exits_cleanly(
    sim: Simulator, tmp_path: Path
) -> None:
    truth, _ = _ground_truth(tmp_path / "truth", sim)
    files = Files(tmp_path / "runs", tap_config(sim))
    files.folder.mkdir()
    sim.faults.update(latency_ms=20)
    tap = subprocess.Popen(
        tap_command(files.tap_args()),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert tap.stdout and tap.stderr
    lines = []
    for line in tap.stdout:
        lines.append(line)
        message = json.loads(line)
        if message["type"] == "RECORD" and message["stream"] == "pins":
            tap.send_signal(signal.SIGTERM)
            break
    lines += tap.stdout.readlines()
    stderr = tap.stderr.read()
    assert tap.wait(timeout=60) == 0, stderr[-3000:]
    assert "Traceback" not in stderr
    assert "Received SIGTERM: finishing the page in progress" in stderr
    assert "stopped by SIGTERM after the page in progress; the last STATE resumes the sync" in (
        stderr
    )
    first = parse_messages("".join(lines))  # every line whole
    assert first.messages[-1]["type"] == "STATE"
    assert len(first.records["pins"]) == PAGE  # the page in progress, no more
    assert not [m for m in first.messages if m["type"] == "ACTIVATE_VERSION"]
    resumed = run_tap(files, first.final_state)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    merged = records_by_key(first)
    for stream, records in records_by_key(resumed.messages).items():
        merged.setdefault(stream, {}).update(records)
    assert merged == truth
