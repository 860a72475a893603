"""ACTIVATE_VERSION: sent once per full-table stream, after all its records, and only when
the stream (with every partition and child) synced without error."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from typing import Any

import pytest

from tap_pinterest.simulator import Simulator
from tap_pinterest.tap import TapPinterest
from tests.conftest import sim_config
from tests.singer_run import SyncResult, parse_messages, run_tap

ACTIVATE = {"emit_activate_version_messages": True, "max_retries": 0}


def _activations(result: SyncResult) -> dict[str, list[int]]:
    """Stream -> index in the output of each ACTIVATE_VERSION."""
    found: dict[str, list[int]] = {}
    for index, message in enumerate(result.messages):
        if message["type"] == "ACTIVATE_VERSION":
            found.setdefault(message["stream"], []).append(index)
    return found


def test_each_full_table_stream_is_activated_once_after_its_last_record(
    shared_sim: Simulator,
) -> None:
    tap = TapPinterest(config=sim_config(shared_sim))
    full_table = {s.name for s in tap.streams.values() if s.replication_method == "FULL_TABLE"}
    result = run_tap(sim_config(shared_sim, **ACTIVATE))
    activations = _activations(result)
    selected = {s.name for s in tap.streams.values() if s.selected and s.name in full_table}
    assert set(activations) == selected
    assert {"boards", "board_pins", "board_sections", "ad_accounts"} <= selected
    for stream, indexes in activations.items():
        assert len(indexes) == 1, stream
        (at,) = indexes
        message = result.messages[at]
        records = [
            (i, m) for i, m in enumerate(result.messages)
            if m["type"] == "RECORD" and m["stream"] == stream
        ]  # fmt: skip
        assert records, stream
        assert records[-1][0] < at, f"{stream}: a RECORD follows its ACTIVATE_VERSION"
        assert {m["version"] for _, m in records} == {message["version"]}
    incremental = {s.name for s in tap.streams.values()} - full_table
    assert incremental and not incremental & set(activations)


def test_without_the_setting_no_activate_version_is_sent(shared_sim: Simulator) -> None:
    result = run_tap(sim_config(shared_sim), streams=["boards", "board_pins"])
    assert not _activations(result)
    assert "version" not in next(m for m in result.messages if m["type"] == "RECORD")


def test_a_child_failure_activates_nothing_in_that_tree(sim: Simulator) -> None:
    """The pins of the second board fail: boards, sections and pins keep every old row."""
    second_board = sim.dataset.boards[1]["id"]
    sim.faults.script(
        "/v5/boards/{board_id}/pins",
        status=503,
        times=None,
        path_args={"board_id": second_board},
    )
    tap = TapPinterest(config=sim_config(sim, **ACTIVATE))
    out = io.StringIO()
    with redirect_stdout(out), pytest.raises(Exception, match="503"):
        tap.sync_all()
    result = parse_messages(out.getvalue())
    assert result.records["board_pins"], "the first board's pins were sent"
    activated = set(_activations(result))
    assert not activated & {"boards", "board_pins", "board_sections", "section_pins"}
    assert "user_account" in activated  # a stream that finished before the failure


def test_a_child_with_no_parents_is_activated_empty(sim: Simulator) -> None:
    """No boards left at all: board_pins gets its SCHEMA and an ACTIVATE_VERSION with no
    records, so a target removes every pin it held."""
    with sim.dataset.lock:
        for entity in ("boards", "board_sections", "pins"):
            sim.dataset.get(entity).clear()
        sim.dataset.reindex()
    result = run_tap(sim_config(sim, **ACTIVATE), streams=["boards", "board_pins"])
    messages: list[dict[str, Any]] = [m for m in result.messages if m.get("stream") == "board_pins"]
    assert [m["type"] for m in messages] == ["SCHEMA", "ACTIVATE_VERSION"]
    assert not result.records.get("board_pins")


def test_a_shard_scopes_its_ad_account_streams_to_its_accounts(shared_sim: Simulator) -> None:
    """With ``ad_account_ids`` the ad-account tree's ACTIVATE_VERSION names the accounts it
    covers; the user's streams and an unsharded sync name none (they cover it all)."""
    accounts = [a["id"] for a in shared_sim.dataset.ad_accounts[1:]]
    streams = ["ad_accounts", "audiences", "keywords", "boards"]
    sharded = run_tap(sim_config(shared_sim, **ACTIVATE, ad_account_ids=accounts), streams=streams)
    unsharded = run_tap(sim_config(shared_sim, **ACTIVATE), streams=streams)
    scopes = {
        m["stream"]: m.get("scope") for m in sharded.messages if m["type"] == "ACTIVATE_VERSION"
    }
    assert scopes == {
        "ad_accounts": {"id": sorted(accounts)},
        "audiences": {"ad_account_id": sorted(accounts)},
        "keywords": {"ad_account_id": sorted(accounts)},
        "boards": None,
    }
    assert {r["ad_account_id"] for r in sharded.records["audiences"]} == set(accounts)
    activations = [m for m in unsharded.messages if m["type"] == "ACTIVATE_VERSION"]
    assert len(activations) == len(streams)
    assert all(set(m) == {"type", "stream", "version"} for m in activations)
