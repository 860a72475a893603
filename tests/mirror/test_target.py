"""target-pinterest-mirror: upserts, ACTIVATE_VERSION, STATE after commit, schema evolution,
and a real `tap-pinterest | target-pinterest-mirror` pipe against the simulator."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tap_pinterest.mirror import Mirror
from tap_pinterest.simulator import Simulator
from tests.mirror.conftest import (
    ITEMS_SCHEMA,
    item,
    load_items,
    record_message,
    run_target,
    schema_message,
)

BIN = Path(sys.executable).parent


def test_loading_twice_changes_nothing(db_url: str) -> None:
    records = [item(i) for i in range(20)]
    load_items(db_url, records)
    with Mirror(db_url) as m:
        first = m.search("items")["data"]
    load_items(db_url, records)
    with Mirror(db_url) as m:
        assert m.search("items")["data"] == first
        assert m.stats()["items"]["records"] == 20


def test_upsert_updates_and_last_duplicate_wins(db_url: str) -> None:
    load_items(db_url, [item(1), item(2)])
    load_items(db_url, [item(2, title="first"), item(2, title="Renamed dress"), item(3)])
    with Mirror(db_url) as m:
        assert m.stats()["items"]["records"] == 3
        assert m.get("items", "item002")["title"] == "Renamed dress"
        found = m.search("items", {"filter": {"keyword": {"title": "renamed"}}})["data"]
        assert [r["id"] for r in found] == ["item002"]
        assert m.search("items", {"filter": {"keyword": {"title": "first"}}})["data"] == []


def test_composite_keys(db_url: str) -> None:
    schema = {"properties": {"campaign_id": {"type": "string"}, "date": {"type": "string"},
                             "spend": {"type": ["integer", "null"]}}}  # fmt: skip
    rows = [{"campaign_id": "c1", "date": f"2024-01-0{d}", "spend": d} for d in range(1, 4)]
    messages = [schema_message("campaign_analytics", schema, ["campaign_id", "date"])]
    messages += [record_message("campaign_analytics", r) for r in rows + rows[:1]]
    run_target(db_url, messages)
    with Mirror(db_url) as m:
        assert m.stats()["campaign_analytics"]["records"] == 3
        assert m.get("campaign_analytics", ["c1", "2024-01-02"])["spend"] == 2
        assert (
            m.get("campaign_analytics", {"campaign_id": "c1", "date": "2024-01-03"})["spend"] == 3
        )


def _versioned(version: int, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        schema_message("items", ITEMS_SCHEMA, ["id"]),
        {"type": "ACTIVATE_VERSION", "stream": "items", "version": version},
        *(record_message("items", r, version) for r in records),
    ]


def test_activate_version_deletes_what_a_full_sync_no_longer_returned(db_url: str) -> None:
    run_target(db_url, _versioned(100, [item(i) for i in range(10)]))
    run_target(db_url, _versioned(200, [item(i) for i in range(0, 10, 2)]))
    with Mirror(db_url) as m:
        assert sorted(r["id"] for r in m.search("items")["data"]) == [
            f"item{i:03d}" for i in range(0, 10, 2)
        ]
        assert m.search("items", {"filter": {"keyword": {"title": "7"}}})["data"] == []


def test_activate_version_waits_for_the_end_of_the_input(db_url: str) -> None:
    """singer-sdk taps send ACTIVATE_VERSION before the records (once per partition)."""
    run_target(db_url, _versioned(100, [item(i) for i in range(4)]))
    second = _versioned(200, [item(0), item(1)])
    second += [{"type": "ACTIVATE_VERSION", "stream": "items", "version": 200},
               record_message("items", item(2), 200)]  # fmt: skip
    run_target(db_url, second)
    with Mirror(db_url) as m:
        assert sorted(r["id"] for r in m.search("items")["data"]) == [
            "item000", "item001", "item002"
        ]  # fmt: skip


def test_deleted_at_removes_the_record(db_url: str) -> None:
    load_items(db_url, [item(1), item(2)])
    gone = item(2, _sdc_deleted_at="2024-01-01T00:00:00Z")
    run_target(
        db_url, [schema_message("items", ITEMS_SCHEMA, ["id"]), record_message("items", gone)]
    )
    with Mirror(db_url) as m:
        assert [r["id"] for r in m.search("items")["data"]] == ["item001"]


def test_schema_gains_a_field(db_url: str) -> None:
    load_items(db_url, [item(1), item(2)])
    grown = json.loads(json.dumps(ITEMS_SCHEMA))
    grown["properties"]["note"] = {"type": ["string", "null"]}
    grown["properties"]["rank"] = {"type": ["integer", "null"]}
    messages = [schema_message("items", grown, ["id"])]
    messages += [record_message("items", item(3, note="Fresh spring note", rank=7))]
    run_target(db_url, messages)
    with Mirror(db_url) as m:
        assert {"note", "rank"} <= set(m.fields("items"))
        assert [r["id"] for r in m.search("items", {"filter": {"eq": {"rank": 7}}})["data"]] == [
            "item003"
        ]
        hits = m.search("items", {"filter": {"fuzzy": {"note": "fresh note"}}})["data"]
        assert [r["id"] for r in hits] == ["item003"]
        assert len(m.search("items", {"filter": {"eq": {"note": None}}})["data"]) == 2
        assert m.get("items", "item001") == item(1)
    load_items(db_url, [item(4)])  # the old schema again: still fine
    with Mirror(db_url) as m:
        assert m.stats()["items"]["records"] == 4
        assert "rank" in m.fields("items")


def test_state_is_emitted_after_the_records_are_committed(db_url: str) -> None:
    """Records then a STATE: when the STATE line appears, the rows are readable."""
    directory = Path(db_url.rsplit("sqlite:///", maxsplit=1)[-1]).parent
    where = directory if db_url.startswith("sqlite") else None
    proc = subprocess.Popen(
        [str(BIN / "target-pinterest-mirror"), "--config", _config_file(db_url, where)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdin and proc.stdout
    try:
        for batch in range(3):
            lines = [schema_message("items", ITEMS_SCHEMA, ["id"])] if batch == 0 else []
            lines += [record_message("items", item(batch * 10 + i)) for i in range(10)]
            lines.append({"type": "STATE", "value": {"batch": batch}})
            proc.stdin.write("".join(json.dumps(x) + "\n" for x in lines))
            proc.stdin.flush()
            state = json.loads(proc.stdout.readline())  # blocks until the target emits it
            assert state == {"batch": batch}
            with Mirror(db_url) as m:
                assert m.stats()["items"]["records"] == (batch + 1) * 10
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    assert proc.returncode == 0


def _config_file(db_url: str, directory: Path | None) -> str:
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115
        "w", suffix=".json", delete=False, dir=directory
    )
    with handle:
        json.dump({"database_url": db_url}, handle)
    return handle.name


@pytest.mark.parametrize("activate", [False, True])
def test_tap_pipes_into_the_mirror(db_url: str, tmp_path: Path, activate: bool) -> None:
    with Simulator(seed=3, scale=1) as sim:
        tap_config = tmp_path / "tap.json"
        tap_config.write_text(
            json.dumps({**sim.tap_config(), "emit_activate_version_messages": activate})
        )
        target_config = _config_file(db_url, tmp_path)
        tap = subprocess.Popen(
            [str(BIN / "tap-pinterest"), "--config", str(tap_config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        target = subprocess.run(
            [str(BIN / "target-pinterest-mirror"), "--config", target_config],
            stdin=tap.stdout,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert tap.stdout
        tap.stdout.close()  # a failed target must not leave the tap blocked on a full pipe
        assert tap.wait(timeout=300) == 0
        assert target.returncode == 0, target.stderr[-2000:]
        pins = sim.dataset.pins
        with Mirror(db_url) as m:
            stats = m.stats()
            assert stats["board_pins"]["records"] == len(pins)
            assert stats["boards"]["records"] == len(sim.dataset.boards)
            assert "campaigns" in m.entities()
            pin = pins[0]
            got = m.get("board_pins", pin["id"])
            assert got["title"] == pin["title"]
            words = " ".join(pin["title"].split()[:2])
            hits = m.search(
                "board_pins", {"filter": {"fuzzy": {"title": words}}}, fields=["id"], limit=1000
            )["data"]
            assert {"id": pin["id"]} in hits
        last_state = [line for line in target.stdout.splitlines() if line.strip()][-1]
        assert "bookmarks" in json.loads(last_state)
