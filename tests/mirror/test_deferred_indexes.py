"""PostgreSQL builds a new table's search indexes after its first load (`load.indexing`);
a build that cannot take the table's lock gives way, and a later load builds them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tap_pinterest.mirror import Mirror
from tap_pinterest.mirror.db import dialects
from tap_pinterest.mirror.load.writer import Writer
from tests.mirror.conftest import ITEMS_SCHEMA, item, load_items, make_url

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
