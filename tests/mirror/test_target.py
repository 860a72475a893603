"""target-pinterest-mirror: upserts, ACTIVATE_VERSION, STATE after commit, schema evolution,
and a real `tap-pinterest | target-pinterest-mirror` pipe against the simulator."""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tap_pinterest.mirror import Mirror
from tap_pinterest.mirror.load import target as target_module
from tap_pinterest.mirror.load.target import TargetPinterestMirror
from tap_pinterest.simulator import Simulator
from tests.mirror.conftest import (
    ITEMS_SCHEMA,
    item,
    load_items,
    make_url,
    record_message,
    run_target,
    schema_message,
)
from tests.singer_run import selecting

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


def test_a_nul_character_is_kept_on_sqlite_and_replaced_on_postgresql(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """No PostgreSQL text or JSONB value holds U+0000: there it is stored as U+FFFD, with a
    warning, instead of failing the whole batch; SQLite keeps it. A backslash followed by
    `u0000` is text like any other, on both."""
    records = [
        item(1, id="item\x00001", title="cut \x00 here", tags=["a\x00", "\\u0000"]),
        item(2, description="a\\\x00b"),
        item(3),
    ]
    with caplog.at_level("WARNING", logger="tap_pinterest.mirror.load.rows"):
        load_items(db_url, records)
    postgresql = db_url.startswith("postgresql")
    nul = "\ufffd" if postgresql else "\x00"
    with Mirror(db_url) as m:
        first = m.search("items", limit=1)["data"][0]  # load order (a NUL id has no `get`)
        assert first["id"] == f"item{nul}001"
        assert first["title"] == f"cut {nul} here"
        assert first["tags"] == [f"a{nul}", "\\u0000"]
        assert m.get("items", "item002")["description"] == f"a\\{nul}b"
        assert m.get("items", "item003") == item(3)
        assert m.stats()["items"]["records"] == 3
    warnings = [r.getMessage() for r in caplog.records if "NUL" in r.getMessage()]
    assert len(warnings) == (1 if postgresql else 0), warnings  # once per stream and run


def test_the_command_line_closes_every_connection_it_opened(db_url: str, tmp_path: Path) -> None:
    """At the end of the input the target closes its connections (lanes, tables, the
    statistics): left to the garbage collector, psycopg warned of each at exit, under
    Meltano too."""
    config = tmp_path / "mirror.json"
    config.write_text(json.dumps({"database_url": db_url}))
    messages = [schema_message("items", ITEMS_SCHEMA, ["id"])]
    messages += [record_message("items", item(i)) for i in range(30)]
    messages.append({"type": "STATE", "value": {"done": 1}})
    result = subprocess.run(
        [str(BIN / "target-pinterest-mirror"), "--config", str(config)],
        input="".join(json.dumps(m) + "\n" for m in messages),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "default"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert [json.loads(line) for line in result.stdout.splitlines()] == [{"done": 1}]
    assert "ResourceWarning" not in result.stderr, result.stderr[-2000:]


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


def _versioned(version: int, records: list[dict[str, Any]], *, done: bool = True) -> list:
    """A full-table sync of `items` as tap-pinterest sends it: the records, then (once the
    stream synced in full) ACTIVATE_VERSION."""
    messages = [schema_message("items", ITEMS_SCHEMA, ["id"])]
    messages += [record_message("items", r, version) for r in records]
    if done:
        messages.append({"type": "ACTIVATE_VERSION", "stream": "items", "version": version})
    return messages


def _ids(url: str) -> list[str]:
    with Mirror(url) as m:
        return sorted(r["id"] for r in m.search("items")["data"])


def test_activate_version_deletes_what_a_full_sync_no_longer_returned(db_url: str) -> None:
    run_target(db_url, _versioned(100, [item(i) for i in range(10)]))
    run_target(db_url, _versioned(200, [item(i) for i in range(0, 10, 2)]))
    assert _ids(db_url) == [f"item{i:03d}" for i in range(0, 10, 2)]
    with Mirror(db_url) as m:
        assert m.search("items", {"filter": {"keyword": {"title": "7"}}})["data"] == []


def test_a_sync_cut_short_deletes_nothing(db_url: str) -> None:
    """The tap died before ACTIVATE_VERSION: the records it sent are loaded, none lost."""
    run_target(db_url, _versioned(100, [item(i) for i in range(10)]))
    run_target(db_url, _versioned(200, [item(1, title="Renamed")], done=False))
    assert _ids(db_url) == [f"item{i:03d}" for i in range(10)]
    with Mirror(db_url) as m:
        assert m.get("items", "item001")["title"] == "Renamed"


def test_activate_version_with_no_records_empties_the_stream(db_url: str) -> None:
    run_target(db_url, _versioned(100, [item(i) for i in range(3)]))
    run_target(db_url, _versioned(200, []))
    assert _ids(db_url) == []


def test_records_after_activate_version_are_kept(db_url: str) -> None:
    """Each ACTIVATE_VERSION applies when it arrives, to the records committed before it."""
    run_target(db_url, _versioned(100, [item(i) for i in range(4)]))
    messages = _versioned(200, [item(0)])
    messages.append(record_message("items", item(9), 200))
    run_target(db_url, messages)
    assert _ids(db_url) == ["item000", "item009"]


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
        # the record in the shape of the schema it is read with: its new fields are null
        assert m.get("items", "item001") == {**item(1), "note": None, "rank": None}
    load_items(db_url, [item(4)])  # the old schema again: still fine
    with Mirror(db_url) as m:
        assert m.stats()["items"]["records"] == 4
        assert "rank" in m.fields("items")


def test_state_is_emitted_after_the_records_are_committed(db_url: str) -> None:
    """Records then a STATE: when the STATE line appears, the rows are readable."""
    directory = Path(db_url.rsplit("sqlite:///", maxsplit=1)[-1]).parent
    where = directory if db_url.startswith("sqlite") else None
    proc = subprocess.Popen(
        [
            str(BIN / "target-pinterest-mirror"),
            "--config",
            _config_file(db_url, where, state_interval_seconds=0),
        ],
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


def test_a_held_state_is_written_when_due_while_the_tap_is_quiet(db_url: str) -> None:
    """A STATE that came sooner than `state_interval_seconds` is written once due even
    though no message follows (the tap waiting on a report), after its records are
    committed; the end of the input does not write it again."""
    directory = Path(db_url.rsplit("sqlite:///", maxsplit=1)[-1]).parent
    where = directory if db_url.startswith("sqlite") else None
    config = _config_file(db_url, where, state_interval_seconds=1)
    proc = subprocess.Popen(
        [str(BIN / "target-pinterest-mirror"), "--config", config],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdin and proc.stdout

    def send(messages: list[dict[str, Any]]) -> None:
        assert proc.stdin
        proc.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
        proc.stdin.flush()

    def next_state() -> Any:
        assert proc.stdout
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "no STATE within 30 s"
        return json.loads(proc.stdout.readline())

    try:
        send([schema_message("items", ITEMS_SCHEMA, ["id"])])
        send([record_message("items", item(i)) for i in range(10)])
        send([{"type": "STATE", "value": {"batch": 0}}])
        assert next_state() == {"batch": 0}  # the first one is due at once
        sent = time.monotonic()
        send([record_message("items", item(i)) for i in range(10, 20)])
        send([{"type": "STATE", "value": {"batch": 1}}])
        assert next_state() == {"batch": 1}  # nothing more was sent
        assert time.monotonic() - sent > 0.5  # held back until due
        with Mirror(db_url) as m:
            assert m.stats()["items"]["records"] == 20
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    assert proc.returncode == 0
    assert proc.stdout.read() == ""


class _Input:
    """Singer lines for `listen`; a number among the messages moves the fake clock."""

    def __init__(self, clock: list[float], items: list[dict[str, Any] | float]) -> None:
        self.clock, self.items = clock, items

    def __iter__(self) -> Iterator[str]:
        for entry in self.items:
            if isinstance(entry, float):
                self.clock[0] = entry
            else:
                yield json.dumps(entry) + "\n"


@pytest.mark.parametrize(
    ("interval", "written"),
    [(5.0, [1, 2, 4]), (0.0, [1, 2, 3, 4]), (3600.0, [1, 4])],
)
def test_state_is_written_at_most_once_per_interval(
    db_url: str, monkeypatch: pytest.MonkeyPatch, interval: float, written: list[int]
) -> None:
    """A STATE sooner than the interval waits for the next one due, or a RECORD after the
    interval, or the end; each written STATE is the latest, its records committed."""
    now = [100.0]
    monkeypatch.setattr(target_module, "clock", lambda: now[0])
    state = lambda n: {"type": "STATE", "value": {"n": n}}  # noqa: E731
    items: list[dict[str, Any] | float] = [
        schema_message("items", ITEMS_SCHEMA, ["id"]),
        record_message("items", item(1)),
        state(1),  # the first: written at once
        record_message("items", item(2)),
        101.0,
        state(2),  # 1 s later: waits
        106.0,
        record_message("items", item(3)),  # 6 s after the last one written: writes {"n": 2}
        state(3),  # waits
        record_message("items", item(4)),
        state(4),  # waits, written at the end
    ]
    target = TargetPinterestMirror(
        config={"database_url": db_url, "state_interval_seconds": interval}
    )
    out = io.StringIO()
    with redirect_stdout(out):
        target.listen(file_input=_Input(now, items))  # type: ignore[arg-type]
    target.store.engine.dispose()
    states = [json.loads(line)["n"] for line in out.getvalue().splitlines()]
    assert states == written
    with Mirror(db_url) as m:
        assert m.stats()["items"]["records"] == 4


def _config_file(db_url: str, directory: Path | None, **settings: Any) -> str:
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115
        "w", suffix=".json", delete=False, dir=directory
    )
    with handle:
        json.dump({"database_url": db_url, **settings}, handle)
    return handle.name


def _pipe(
    sim: Simulator,
    db_url: str,
    tmp_path: Path,
    streams: list[str] | None = None,
    **settings: Any,
) -> tuple[int, str]:
    """`tap-pinterest | target-pinterest-mirror` (of `streams`, or all); the tap's exit
    status and the target's stdout (the target must succeed)."""
    config = {**sim.tap_config(), **settings}
    tap_config = tmp_path / "tap.json"
    tap_config.write_text(json.dumps(config))
    args = ["--config", str(tap_config)]
    if streams is not None:
        catalog = tmp_path / "catalog.json"
        catalog.write_text(json.dumps(selecting(config, streams)))
        args += ["--catalog", str(catalog)]
    target_config = _config_file(db_url, tmp_path)
    tap = subprocess.Popen(
        [str(BIN / "tap-pinterest"), *args],
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
    status = tap.wait(timeout=300)
    assert target.returncode == 0, target.stderr[-2000:]
    return status, target.stdout


@pytest.mark.parametrize("activate", [False, True])
def test_tap_pipes_into_the_mirror(db_url: str, tmp_path: Path, activate: bool) -> None:
    with Simulator(seed=3, scale=1) as sim:
        status, stdout = _pipe(sim, db_url, tmp_path, emit_activate_version_messages=activate)
        assert status == 0
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
        last_state = [line for line in stdout.splitlines() if line.strip()][-1]
        assert "bookmarks" in json.loads(last_state)


def test_deletions_reach_the_mirror_only_after_a_complete_sync(db_url: str, tmp_path: Path) -> None:
    """Pins deleted at Pinterest stay in the mirror while a sync fails halfway, and are
    removed by the next complete sync; no pin that still exists is ever lost."""
    pipe: dict[str, Any] = {
        "streams": ["boards", "board_pins"],
        "emit_activate_version_messages": True,
        "max_retries": 0,
    }
    with Simulator(seed=3, scale=1) as sim:
        assert _pipe(sim, db_url, tmp_path, **pipe)[0] == 0
        pins = sim.dataset.pins
        before = {p["id"] for p in pins}
        with sim.dataset.lock:
            gone = {p["id"] for p in pins[::10]}
            pins[:] = [p for p in pins if p["id"] not in gone]
            sim.dataset.reindex()
        last_board = sim.dataset.boards[-1]["id"]
        fault = sim.faults.script(
            "/v5/boards/{board_id}/pins",
            status=503,
            times=None,
            path_args={"board_id": last_board},
        )
        assert _pipe(sim, db_url, tmp_path, **pipe)[0] != 0
        with Mirror(db_url) as m:
            held = m.search("board_pins", limit=1000, fields=["id"])
            assert not held["meta"]["has_more"]
            assert {r["id"] for r in held["data"]} == before
        assert fault.hits == 1  # the tap failed on the last board's pins
        sim.faults.clear_scripts()
        assert _pipe(sim, db_url, tmp_path, **pipe)[0] == 0
        with Mirror(db_url) as m:
            held = m.search("board_pins", limit=1000, fields=["id"])
            assert {r["id"] for r in held["data"]} == before - gone
            assert m.stats()["boards"]["records"] == len(sim.dataset.boards)


def test_postgresql_statistics_are_fresh_after_a_load(tmp_path: Path) -> None:
    """The planner's statistics are gathered at the end of a load (without them a text
    search over a million rows picked a plan 100 times slower)."""
    for url in make_url("postgresql", tmp_path):
        load_items(url, [item(i) for i in range(30)])
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            analyzed = conn.execute(
                sa.text(
                    "SELECT last_analyze IS NOT NULL FROM "
                    "pg_stat_user_tables WHERE relname = 'mirror_items' "
                    "AND schemaname = current_schema()"
                )
            ).scalar_one()
        engine.dispose()
        assert analyzed  # 30 rows: under autovacuum's threshold (50), so the target did it
