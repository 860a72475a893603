"""SQLite's staged upsert (`tap_pinterest.mirror.load.staging`): the FTS5 index stays
exactly in step with the rows through every kind of write, and a batch's memory does not
grow with the table (no statement journal)."""

from __future__ import annotations

import ctypes
import itertools
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tap_pinterest.mirror import Mirror
from tap_pinterest.mirror.db import dialects
from tap_pinterest.mirror.load.rows import RowEncoder
from tap_pinterest.mirror.load.writer import Writer
from tests.mirror.conftest import (
    ITEMS_SCHEMA,
    item,
    make_url,
    record_message,
    run_target,
    schema_message,
)

TABLE = "mirror_items"
FTS = f"{TABLE}__fts"
WORDS = ["red", "blue", "green", "dress", "linen", "velvet", "crimson", "silk"]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    yield from make_url("sqlite", tmp_path)


def _vocab(conn: sa.Connection) -> list[tuple[Any, ...]]:
    """Per word and column, how many rows the FTS5 index lists."""
    conn.exec_driver_sql(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab USING fts5vocab(main, {FTS}, 'col')"
    )
    return [tuple(r) for r in conn.exec_driver_sql("SELECT term, col, doc FROM temp.vocab")]


def _assert_index_is_exact(url: str) -> None:
    """The index as the loads left it lists the same words, per column and row count, as
    one rebuilt from the rows: no stale words, no missing ones, nothing twice."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        kept = sorted(_vocab(conn))
        conn.exec_driver_sql(f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')")  # noqa: S608
        rebuilt = sorted(_vocab(conn))
        conn.rollback()
    engine.dispose()
    assert rebuilt
    assert kept == rebuilt


def _words(text: str | None) -> set[str]:
    return set(re.findall(r"[^\W_]+", (text or "").lower()))


def _assert_searches_match(url: str, records: dict[str, dict[str, Any]]) -> None:
    with Mirror(url) as m:
        assert m.stats()["items"]["records"] == len(records)
        for word, field in itertools.product(WORDS, ("title", "description")):
            got = m.search("items", {"filter": {"keyword": {field: word}}})["data"]
            want = {k for k, r in records.items() if word in _words(r.get(field))}
            assert {r["id"] for r in got} == want, (word, field)


def _messages(records: list[dict[str, Any]], version: int | None = None) -> list[dict]:
    return [schema_message("items", ITEMS_SCHEMA, ["id"])] + [
        record_message("items", r, version) for r in records
    ]


@pytest.mark.parametrize("batch_size", [10_000, 7])
def test_the_text_index_stays_exact_through_every_kind_of_write(
    sqlite_url: str, batch_size: int
) -> None:
    records = {r["id"]: r for r in (item(i) for i in range(30))}
    run_target(sqlite_url, _messages(list(records.values())), batch_size_rows=batch_size)
    _assert_index_is_exact(sqlite_url)
    _assert_searches_match(sqlite_url, records)

    changes = [
        *(item(i, title=f"Crimson velvet {i}") for i in range(1, 6)),  # text changed
        *(item(i) for i in range(6, 9)),  # unchanged
        item(9, title=None),  # text removed
        item(10, description="silk only"),  # the other text field
        item(11, status="PAUSED", count=999),  # no text changed
        *(item(i, title=f"Blue silk {i}") for i in range(30, 35)),  # new
        item(12, title="green velvet first"),
        item(12, title="Red linen last"),  # the same key twice: the last wins
    ]
    run_target(sqlite_url, _messages(changes), batch_size_rows=batch_size)
    records.update({r["id"]: r for r in changes})
    _assert_index_is_exact(sqlite_url)
    _assert_searches_match(sqlite_url, records)

    # a version alone changes every row; deletes by _sdc_deleted_at; then a full sync of
    # version 8 that returns only some rows: ACTIVATE_VERSION deletes the rest
    run_target(sqlite_url, _messages(list(records.values()), version=7))
    gone = [
        dict(records.pop(k), _sdc_deleted_at="2024-01-01T00:00:00Z") for k in ("item002", "item031")
    ]
    run_target(sqlite_url, _messages(gone), batch_size_rows=batch_size)
    _assert_index_is_exact(sqlite_url)
    kept = {k: r for k, r in records.items() if int(k[4:]) % 3}
    full_sync = _messages(list(kept.values()), version=8)
    full_sync.append({"type": "ACTIVATE_VERSION", "stream": "items", "version": 8})
    run_target(sqlite_url, full_sync, batch_size_rows=batch_size)
    _assert_index_is_exact(sqlite_url)
    _assert_searches_match(sqlite_url, kept)


def test_a_text_field_gained_mid_run_is_indexed_from_then_on(sqlite_url: str) -> None:
    """A SCHEMA that adds a text field in the middle of a run: the table, its stage and
    its text index change generation while the writer has batches in flight."""
    narrow = json.loads(json.dumps(ITEMS_SCHEMA))
    del narrow["properties"]["description"]
    first = {
        f"item{i:03d}": {k: v for k, v in item(i).items() if k != "description"} for i in range(12)
    }
    second = {r["id"]: r for r in (item(i, description=f"silk dress {i}") for i in range(8, 20))}
    messages = [schema_message("items", narrow, ["id"])]
    messages += [record_message("items", r) for r in first.values()]
    messages += [schema_message("items", ITEMS_SCHEMA, ["id"])]
    messages += [record_message("items", r) for r in second.values()]
    run_target(sqlite_url, messages, batch_size_rows=5)
    _assert_index_is_exact(sqlite_url)
    _assert_searches_match(sqlite_url, {**first, **second})


# -- memory ------------------------------------------------------------------------------

THINGS_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "board_id": {"type": ["string", "null"]},  # indexed: *_id
        "title": {"type": ["string", "null"]},
    },
}


def _sqlite_library() -> ctypes.CDLL:
    """The SQLite library this Python's sqlite3 module runs on (its counters are
    process-wide)."""
    maps = Path("/proc/self/maps").read_text()
    found = re.search(r"(/\S*libsqlite3\.so[.\d]*)$", maps, re.MULTILINE)
    assert found, "the sqlite3 module must use a shared libsqlite3 for this test"
    return ctypes.CDLL(found.group(1))


class _PeakMemory:
    """SQLite's memory high-water mark above what was in use when `start` was called."""

    def __init__(self) -> None:
        self._lib = _sqlite_library()
        self._base = 0

    def _read(self, reset: bool) -> tuple[int, int]:
        current, peak = ctypes.c_int64(), ctypes.c_int64()
        status = self._lib.sqlite3_status64(
            0, ctypes.byref(current), ctypes.byref(peak), int(reset)
        )  # SQLITE_STATUS_MEMORY_USED
        assert status == 0
        return current.value, peak.value

    def start(self) -> None:
        self._base = self._read(reset=True)[0]

    def above_start(self) -> int:
        return self._read(reset=False)[1] - self._base


def _things(rng: random.Random, start: int, count: int) -> list[bytes]:
    return [
        json.dumps(
            # long random keys: a batch's inserts land all over the board_id index
            {"id": f"t{n:08d}", "board_id": f"{rng.getrandbits(800):0200x}", "title": "x"}
        ).encode()
        for n in range(start, start + count)
    ]


def _batch_peak(url: str, rows_before: int) -> int:
    """SQLite's peak memory while one batch of 3,000 new rows is upserted into a table of
    `rows_before` rows, in a transaction that already wrote a batch (as the target's
    writer does: it commits every 100,000 rows)."""
    rng = random.Random(rows_before)
    engine = dialects.make_engine(url, writer=True)
    store = Writer(engine)
    info = store.ensure_stream("things", THINGS_SCHEMA, ["id"])
    encoder = RowEncoder(info)

    def batch(start: int, count: int) -> Any:
        for text in _things(rng, start, count):
            encoder.add(text, None)
        (batch,) = encoder.take()
        return batch

    peak = _PeakMemory()
    with engine.connect() as conn:
        conn.begin()
        for start in range(0, rows_before, 5000):
            store.upsert(conn, info, batch(start, min(5000, rows_before - start)))
        conn.commit()
        conn.begin()
        store.upsert(conn, info, batch(rows_before, 10))
        measured = batch(rows_before + 10, 3000)
        peak.start()
        store.upsert(conn, info, measured)
        result = peak.above_start()
        conn.commit()
    engine.dispose()
    return result


def test_a_batch_needs_no_more_memory_in_a_larger_table(tmp_path: Path) -> None:
    """With a statement journal, SQLite keeps a copy of every index page the batch
    changes: about 8 MB more for the larger table here."""
    small = _batch_peak(f"sqlite:///{tmp_path / 'small.db'}", 5_000)
    large = _batch_peak(f"sqlite:///{tmp_path / 'large.db'}", 60_000)
    assert large - small < 1_000_000, (small, large)


def test_the_text_index_merges_its_segments_sixteen_at_a_time(sqlite_url: str) -> None:
    """FTS5's `automerge` as the mirror sets it (`textsearch.FTS_AUTOMERGE`), kept in the
    index's own config table, so every connection that writes the index uses it."""
    run_target(sqlite_url, [schema_message("items", ITEMS_SCHEMA, ["id"])])
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as conn:
        kept = conn.exec_driver_sql(f"SELECT v FROM {FTS}_config WHERE k = 'automerge'")  # noqa: S608
        assert kept.scalar_one() == 16
    engine.dispose()
