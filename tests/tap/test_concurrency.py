"""Concurrent fan-out, pacing by category and the lean record path, against the simulator.

- At any ``max_concurrency`` a sync writes the same messages, in the same order, with the
  same calls and the same final state, as at 1 (only ``time_extracted`` differs, and
  when a STATE is written: that goes by the clock).
- The lean record path writes exactly what the SDK's path writes.
- A paced sync draws no 429 from a simulator with a tight budget, even at width 8.
- SCHEMA once per stream, STATE at a bounded rate, resume from any STATE.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections import Counter
from typing import Any

import pytest
from conftest import sim_config
from singer_run import SyncResult, parse_messages, run_tap, selecting

from tap_pinterest import output_stream
from tap_pinterest.simulator import Simulator
from tap_pinterest.simulator.api.faults import Faults
from tap_pinterest.tap import TapPinterest


def _without_time(result: SyncResult) -> list[str]:
    """The messages but STATE (written by the clock), without ``time_extracted``."""
    out = []
    for message in result.messages:
        if message["type"] == "STATE":
            continue
        timeless = {k: v for k, v in message.items() if k != "time_extracted"}
        out.append(json.dumps(timeless, sort_keys=True))
    return out


@pytest.fixture(scope="module")
def sim():
    # latency makes the workers really overlap (and reorder their responses)
    with Simulator(seed=23, scale=1, faults=Faults(latency_ms=5)) as simulator:
        yield simulator


def _sync(sim: Simulator, **settings: Any) -> tuple[SyncResult, Counter[tuple[str, str]]]:
    sim.request_log.reset()
    result = run_tap(sim_config(sim, **settings))
    return result, Counter(sim.request_log.counts())


def test_the_same_messages_and_calls_at_any_concurrency(sim: Simulator) -> None:
    serial, serial_calls = _sync(sim, max_concurrency=1)
    assert sum(len(r) for r in serial.records.values()) > 1000
    for width in (2, 8):
        concurrent, calls = _sync(sim, max_concurrency=width)
        assert _without_time(concurrent) == _without_time(serial), width
        assert concurrent.final_state == serial.final_state, width
        assert calls == serial_calls, width


def test_the_lean_record_path_writes_what_the_sdk_path_writes(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    lean, _ = _sync(sim)
    monkeypatch.setattr(output_stream, "LEAN_RECORDS", False)
    sdk, _ = _sync(sim)
    assert _without_time(lean) == _without_time(sdk)


def test_a_deselected_property_takes_the_sdks_path(sim: Simulator) -> None:
    config = sim_config(sim)
    catalog = selecting(config, ["boards"])
    for entry in catalog["streams"]:
        if entry["tap_stream_id"] == "boards":
            for metadata in entry["metadata"]:
                if metadata["breadcrumb"] == ["properties", "description"]:
                    metadata["metadata"]["selected"] = False
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        TapPinterest(config=config, catalog=catalog).sync_all()
    boards = parse_messages(out.getvalue()).records["boards"]
    assert boards
    assert not any("description" in board for board in boards)
    assert all("name" in board for board in boards)


def test_schema_once_per_stream(sim: Simulator) -> None:
    result, _ = _sync(sim, max_concurrency=4)
    schemas = Counter(m["stream"] for m in result.messages if m["type"] == "SCHEMA")
    assert schemas
    assert set(schemas.values()) == {1}, schemas


def test_every_state_resumes_to_the_same_end(sim: Simulator) -> None:
    """Each STATE a concurrent sync wrote is a valid place to resume: the resumed run
    ends in the state of the uninterrupted one."""
    full, _ = _sync(sim, max_concurrency=8)
    assert full.states
    for state in (full.states[0], full.states[len(full.states) // 2]):
        sim.request_log.reset()
        resumed = run_tap(sim_config(sim, max_concurrency=8), state=state)
        assert resumed.final_state == full.final_state


def test_a_paced_sync_draws_no_429_at_width_8() -> None:
    """The simulator allows 20 org_read calls per 2 s, far under the tap's standard budget:
    the tap spends the burst, then paces itself by the X-RateLimit headers."""
    faults = Faults(latency_ms=2, rate_limits={"org_read": (20, 2.0), "ads_read": (20, 2.0)})
    with Simulator(seed=5, scale=1, faults=faults) as limited:
        result = run_tap(sim_config(limited, max_concurrency=8, rate_limit_max_wait_seconds=60))
        statuses = limited.request_log.statuses()
    assert result.records["board_pins"]
    assert statuses.get(429, 0) == 0, statuses
    assert statuses[200] > 40
