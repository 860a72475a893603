"""PostgreSQL builds a new table's search indexes after its first load (`load.indexing`);
a build that cannot take the table's lock gives way, and a later load builds them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tap_pinterest.mirror import Mirror
from tap_pinterest.mirror.db import dialects
from tap_pinterest.mirror.load.target import TargetPinterestMirror
from tap_pinterest.mirror.load.writer import Writer
from tests.mirror.conftest import (
    ITEMS_SCHEMA,
    S,
    feed,
    item,
    load_items,
    make_url,
    record_message,
    schema_message,
)

TABLE = "mirror_items"
#: The search indexes of `ITEMS_SCHEMA`: the b-trees of its indexed fields, the word arrays'
SEARCH_INDEXES = {
    f"{TABLE}__created_at",
    f"{TABLE}__status",
    f"{TABLE}__words_title",
    f"{TABLE}__words_description",
}


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    yield from make_url("postgresql", tmp_path)


def _indexes(url: str) -> set[str]:
    engine = dialects.make_engine(url)
    try:
        with engine.connect() as conn:
            return {str(i["name"]) for i in sa.inspect(conn).get_indexes(TABLE)}
    finally:
        engine.dispose()


def _new_table(url: str) -> None:
    """The stream's table as the target creates it, before any record."""
    writer = Writer(dialects.make_engine(url, writer=True))
    try:
        writer.ensure_stream("items", ITEMS_SCHEMA, ["id"])
    finally:
        writer.engine.dispose()


def test_a_new_table_has_only_its_keys_indexes_until_its_first_load_ends(pg_url: str) -> None:
    _new_table(pg_url)
    assert not _indexes(pg_url) & SEARCH_INDEXES
    load_items(pg_url, [item(i) for i in range(30)])
    assert _indexes(pg_url) >= SEARCH_INDEXES


class _Timeline(io.StringIO):
    """The target's stdout, noting in `events` when it wrote each state (a line each)."""

    def __init__(self, events: list[str]) -> None:
        super().__init__()
        self.events = events

    def write(self, text: str) -> int:
        if text.strip():
            self.events.append("STATE")
        return super().write(text)


def test_the_last_state_comes_before_the_builds(pg_url: str) -> None:
    """The records are committed when the last STATE is written; a load stopped while
    the indexes are built resumes from it (the next load builds them)."""
    events: list[str] = []
    target = TargetPinterestMirror(config={"database_url": pg_url})

    @sa.event.listens_for(target.store.engine, "before_cursor_execute")
    def _note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "$build$" in statement or statement.startswith("ANALYZE"):
            events.append("build")

    messages = [schema_message("items", ITEMS_SCHEMA, ["id"])]
    messages += [record_message("items", item(i)) for i in range(20)]
    messages.append({"type": "STATE", "value": {"loaded": 20}})  # the first: written at once
    messages += [record_message("items", item(i)) for i in range(20, 30)]
    # held back (`state_interval_seconds`) until the end of the input
    messages.append({"type": "STATE", "value": {"loaded": 30}})
    out = _Timeline(events)
    with redirect_stdout(out):
        target.listen(file_input=io.StringIO("".join(json.dumps(m) + "\n" for m in messages)))
    target.store.engine.dispose()
    assert events[:2] == ["STATE", "STATE"]
    assert "build" in events
    assert events.count("STATE") == 2  # the last not written again after the builds
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [
        {"loaded": 20},
        {"loaded": 30},
    ]
    assert _indexes(pg_url) >= SEARCH_INDEXES


def test_sqlite_creates_them_with_the_table(tmp_path: Path) -> None:
    url = next(make_url("sqlite", tmp_path))
    _new_table(url)
    assert {f"{TABLE}__created_at", f"{TABLE}__status"} <= _indexes(url)


def test_a_build_gives_way_to_another_load_and_the_next_load_builds(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    _new_table(pg_url)
    other = sa.create_engine(pg_url)
    try:
        with other.connect() as conn:
            # another load's open transaction on the table, as a shard's writer lane keeps
            conn.exec_driver_sql(f"LOCK TABLE {TABLE} IN ROW EXCLUSIVE MODE")
            with caplog.at_level(logging.WARNING):
                load_items(pg_url, [item(i) for i in range(30)])
            conn.rollback()
    finally:
        other.dispose()
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("are not built yet" in m and f"{TABLE}__words_title" in m for m in warned)
    assert not _indexes(pg_url) & SEARCH_INDEXES
    # the records are there, and searches answer, from the table
    with Mirror(pg_url) as mirror:
        found = mirror.search("items", {"filter": {"keyword": {"title": "dress"}}}, limit=100)
        assert len(found["data"]) == 30

    load_items(pg_url, [item(30)])
    assert _indexes(pg_url) >= SEARCH_INDEXES


def test_a_sink_a_schema_change_replaced_at_the_end_is_cleaned_up_too(pg_url: str) -> None:
    """Its records get their statistics, though the STATE comes first at the end."""
    load_items(pg_url, [item(i) for i in range(30)])  # the table and its indexes
    analyzed: list[str] = []
    target = TargetPinterestMirror(config={"database_url": pg_url})

    @sa.event.listens_for(target.store.engine, "before_cursor_execute")
    def _note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("ANALYZE"):
            analyzed.append(statement)

    wider = {**ITEMS_SCHEMA, "properties": {**ITEMS_SCHEMA["properties"], "extra": S}}
    messages = [schema_message("items", ITEMS_SCHEMA, ["id"])]
    messages += [record_message("items", item(i)) for i in range(30, 40)]
    messages.append(schema_message("items", wider, ["id"]))  # no record after it
    feed(target, messages)
    assert analyzed == [f'ANALYZE "{TABLE}"']
