"""The target's writer lanes (`load.lanes`): PostgreSQL writes each batch on two
connections, split by key; rows keep their load order, a STATE waits for every lane, and
a failure on one lane stops them all."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from typing import Any

import pytest
import sqlalchemy as sa

from tap_pinterest.mirror import Mirror
from tap_pinterest.mirror.load import lanes, writer
from tap_pinterest.mirror.load.rows import RowEncoder
from tap_pinterest.mirror.load.target import TargetPinterestMirror
from tap_pinterest.mirror.load.writer import Writer
from tests.mirror.conftest import (
    ITEMS_SCHEMA,
    I,
    feed,
    item,
    paged_ids,
    record_message,
    run_target,
    schema_message,
)


def test_postgresql_writes_on_two_lanes_and_sqlite_on_one(db_url: str) -> None:
    messages = [schema_message("items", ITEMS_SCHEMA, ["id"])]
    messages += [record_message("items", item(i)) for i in range(40)]
    target = TargetPinterestMirror(config={"database_url": db_url})
    feed(target, messages)
    assert len(target.lanes) == (2 if db_url.startswith("postgresql") else 1)
    # a batch is 2,500 records for each lane
    assert target.get_sink("items").max_size == 2_500 * len(target.lanes)


def test_each_key_goes_to_one_lane_and_every_row_is_written_once(db_url: str) -> None:
    store = Writer.open(db_url, writer=True)
    info = store.ensure_stream("items", ITEMS_SCHEMA, ["id"])
    encoder = RowEncoder(info, copy=True, lanes=2)
    lanes_of: dict[str, set[int]] = {}
    for batch in range(5):
        keys = [f"item{(batch * 37 + i) % 90:03d}" for i in range(60)]
        for key in keys:
            encoder.add(json.dumps({"id": key, "title": "a b"}).encode(), None)
        parts = encoder.take(range(1000 * batch, 1000 * batch + len(encoder)))
        assert len(parts) == 2
        written: list[str] = []
        for lane, part in enumerate(parts):
            lines = part.copy.decode().splitlines()
            assert part.count == len(lines)
            for line in lines:
                written.append(line.split("\t")[1])
                lanes_of.setdefault(written[-1], set()).add(lane)
        assert sorted(written) == sorted(set(keys))  # each once, the duplicates merged
    assert all(len(lanes) == 1 for lanes in lanes_of.values())
    assert {lane for lanes in lanes_of.values() for lane in lanes} == {0, 1}
    store.engine.dispose()


def test_rows_keep_their_load_order_whichever_lane_writes_them(db_url: str) -> None:
    """Without a sort, records come in the order the mirror first stored them; an update
    keeps a record's place, a new record comes after the others."""
    order = [(i * 7) % 100 for i in range(100)]  # not the order of the keys
    messages = [schema_message("items", ITEMS_SCHEMA, ["id"])]
    messages += [record_message("items", item(i)) for i in order]
    run_target(db_url, messages, batch_size_rows=16)
    later = [order[50], 150, order[3], 120, order[99]]
    messages = [schema_message("items", ITEMS_SCHEMA, ["id"])]
    messages += [record_message("items", item(i, title=f"Changed {i}")) for i in later]
    run_target(db_url, messages, batch_size_rows=2)
    expected = [f"item{i:03d}" for i in [*order, 150, 120]]
    with Mirror(db_url) as m:
        assert paged_ids(m, {}, limit=30) == expected
        assert m.get("items", f"item{order[3]:03d}")["title"] == f"Changed {order[3]}"
        # ties of a sort, too, are in load order
        sorted_ids = paged_ids(m, {"sort": [{"active": "asc"}]}, limit=7)
        inactive = [i for i in expected if int(i[4:]) % 2]
        assert sorted_ids == inactive + [i for i in expected if i not in inactive]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_failed_write_on_one_lane_stops_every_lane(db_url: str) -> None:
    """A record PostgreSQL refuses (`board_id`, an integer id, is a typed column) fails
    its lane's batch: no STATE after it is written, and nothing after it is committed on
    either lane."""
    schema = {**ITEMS_SCHEMA, "properties": {**ITEMS_SCHEMA["properties"], "board_id": I}}
    first = [item(i) for i in range(10)]
    then = [item(i) for i in range(10, 20)]
    after = [item(i) for i in range(20, 40)]
    then[4]["board_id"] = "not a number"
    messages: list[dict[str, Any]] = [schema_message("items", schema, ["id"])]
    for n, records in enumerate([first, then, after]):
        messages += [record_message("items", r) for r in records]
        messages.append({"type": "STATE", "value": {"step": n}})
    out = io.StringIO()
    target = TargetPinterestMirror(config={"database_url": db_url, "state_interval_seconds": 0})
    lines = "".join(json.dumps(m) + "\n" for m in messages)
    with redirect_stdout(out), pytest.raises(sa.exc.DataError, match="not a number"):
        target.listen(file_input=io.StringIO(lines))
    target.store.engine.dispose()
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [{"step": 0}]
    # no lane is left holding an open transaction (its locks would block the mirror)
    with sa.create_engine(db_url).connect() as conn:
        open_transactions = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%'"
            )
        ).scalar()
    assert open_transactions == 0
    with Mirror(db_url) as m:
        assert sorted(r["id"] for r in m.search("items", limit=100)["data"]) == [
            r["id"] for r in first
        ]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_targets_loading_one_table_never_share_a_rowid(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each target takes its rowids from the table's sequence a block at a time: two
    targets' blocks never overlap, and each hands out its own in increasing order."""
    monkeypatch.setattr(writer, "ROWID_BLOCK", 10)
    first, second = Writer.open(db_url, writer=True), Writer.open(db_url, writer=True)
    info = first.ensure_stream("items", ITEMS_SCHEMA, ["id"])
    taken: dict[int, list[int]] = {0: [], 1: []}
    for step in range(12):
        who = step % 3 % 2  # 0, 1, 0, 0, 1, 0, ...
        store = (first, second)[who]
        taken[who] += store.reserve_rowids(info, 4 + step % 5)
    for numbers in taken.values():
        assert numbers == sorted(set(numbers))
    assert not set(taken[0]) & set(taken[1])
    first.engine.dispose()
    second.engine.dispose()


def test_a_load_holds_at_most_one_connection_more_than_it_has_lanes(db_url: str) -> None:
    """Each target holds its lanes' connections and one for tables and deletions, also
    while it refreshes a table's statistics and merges its indexes' pending entries at
    the end (on the lanes): what docs/scaling-out.md counts against max_connections."""
    messages = [schema_message("items", ITEMS_SCHEMA, ["id"])]
    messages += [record_message("items", item(i)) for i in range(6_000)]
    messages += [{"type": "STATE", "value": {"done": 1}}]
    target = TargetPinterestMirror(config={"database_url": db_url})
    held = peak = 0

    def checkout(*_: Any) -> None:
        nonlocal held, peak
        held += 1
        peak = max(peak, held)

    def checkin(*_: Any) -> None:
        nonlocal held
        held -= 1

    sa.event.listen(target.store.engine, "checkout", checkout)
    sa.event.listen(target.store.engine, "checkin", checkin)
    assert feed(target, messages) == [{"done": 1}]
    lanes = len(target.lanes)
    assert peak <= lanes + 1, (peak, lanes)
    if db_url.startswith("postgresql"):  # the end of the load ran: statistics, merges
        with Mirror(db_url) as mirror:
            assert mirror.stats()["items"]["records"] == 6_000
        engine = sa.create_engine(db_url)
        with engine.connect() as conn:
            analyzed = conn.exec_driver_sql(
                "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables "
                "WHERE relname = 'mirror_items' AND schemaname = current_schema()"
            ).scalar_one()
        engine.dispose()
        assert analyzed


def test_the_default_state_interval_is_a_lanes_longest_transaction() -> None:
    """Each STATE the target writes commits every lane first: a shorter default interval
    would cut the lanes' transactions short, and every commit rewrites the pages of the
    random `created_at` index that the transaction touched (`load.lanes`)."""
    setting = TargetPinterestMirror.config_jsonschema["properties"]["state_interval_seconds"]
    assert setting["default"] == lanes.COMMIT_SECONDS == 30
