"""What each search does before its query: the statement timeout (`Mirror(timeout_ms=...)`:
a search that runs longer ends as the `query_timeout` problem, a 4xx for the server, and
the limit holds for that search only) and the stream's layout, kept between searches."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tap_pinterest.mirror import Mirror
from tap_pinterest.mirror.db.errors import QueryError

from .conftest import (
    ITEMS_SCHEMA,
    item,
    load_items,
    make_url,
    record_message,
    run_target,
    schema_message,
)


def test_a_search_held_past_the_timeout_is_query_timeout_and_the_limit_ends_with_it(
    tmp_path: Path,
) -> None:
    """PostgreSQL: a search waiting on another session's lock is cancelled after
    `timeout_ms`. The timeout is the transaction's own: `stats`, on the connection the
    pool hands back, waits the same lock out."""
    urls = make_url("postgresql", tmp_path)
    url = next(urls)
    load_items(url, [item(i) for i in range(5)])
    engine = sa.create_engine(url)
    try:
        with Mirror(url, timeout_ms=200) as mirror:
            assert len(mirror.search("items", {}, limit=5)["data"]) == 5
            with engine.connect() as locker:
                table = locker.exec_driver_sql(
                    "SELECT table_name FROM mirror_streams WHERE stream = 'items'"
                ).scalar_one()
                locker.commit()
                held = locker.begin()
                locker.exec_driver_sql(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
                # without a timeout the search would wait for ever: the lock goes after 10 s
                failsafe = threading.Timer(10, held.rollback)
                failsafe.start()
                started = time.monotonic()
                try:
                    with pytest.raises(QueryError) as caught:
                        mirror.search("items", {"filter": {"eq": {"status": "ACTIVE"}}}, limit=5)
                finally:
                    failsafe.cancel()
                waited = time.monotonic() - started
                assert caught.value.problem == "query_timeout"
                assert "longer than 200 ms" in str(caught.value)
                assert 0.2 <= waited < 5
                release = threading.Timer(0.6, held.rollback)
                release.start()
                started = time.monotonic()
                assert mirror.stats()["items"]["records"] == 5  # waited, not cancelled
                assert time.monotonic() - started >= 0.5
                release.join()
            assert len(mirror.search("items", {}, limit=5)["data"]) == 5
    finally:
        engine.dispose()
        next(urls, None)


def test_a_long_sqlite_search_is_interrupted_at_the_timeout(tmp_path: Path) -> None:
    """SQLite: a scan that takes longer than `timeout_ms` is interrupted, and the next
    search on the same mirror runs."""
    url = f"sqlite:///{tmp_path / 'mirror.db'}"
    load_items(url, [item(i) for i in range(20_000)])
    slow = {"filter": {"like": {"description": "%no such text%"}}}
    with Mirror(url, timeout_ms=1) as mirror:
        with pytest.raises(QueryError) as caught:
            mirror.search("items", slow, limit=5)
        assert caught.value.problem == "query_timeout"
    with Mirror(url) as mirror:
        assert mirror.search("items", slow, limit=5)["data"] == []
        assert len(mirror.search("items", {}, limit=5)["data"]) == 5


def test_an_open_mirror_sees_the_schema_a_later_load_gives_the_stream(db_url: str) -> None:
    """The mirror keeps each stream's layout between searches and checks only its
    generation: a load that adds a field (a new generation) is seen by the same `Mirror`,
    in the field list, the records and the filters."""
    load_items(db_url, [item(i) for i in range(3)])
    wider = json.loads(json.dumps(ITEMS_SCHEMA))
    wider["properties"]["color"] = {"type": ["string", "null"]}
    with Mirror(db_url) as mirror:
        assert "color" not in mirror.fields("items")
        assert mirror.get("items", "item001")["title"] == "Blue summer dress 1"
        run_target(
            db_url,
            [schema_message("items", wider, ["id"])]
            + [record_message("items", item(i, color="teal")) for i in range(3, 5)],
        )
        assert "color" in mirror.fields("items")
        found = mirror.search("items", {"filter": {"eq": {"color": "teal"}}}, limit=10)
        assert [r["id"] for r in found["data"]] == ["item003", "item004"]
        assert mirror.get("items", "item001")["color"] is None
        assert mirror.stats()["items"]["records"] == 5
