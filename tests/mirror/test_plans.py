"""PostgreSQL plans of the searches: each reads the index meant for it, in the index's
order. Checked with EXPLAIN on a small table, sequential and bitmap scans switched off,
so the planner shows the path it takes on a big one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tap_pinterest.mirror import Mirror
from tests.mirror.conftest import item, load_items, make_url


@pytest.fixture(scope="module")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    urls = make_url("postgresql", Path(tmp_path_factory.mktemp("plans")))
    url = next(urls)
    # 3 rows a status, 600 rows: reading load order and filtering costs more than the
    # status index (on 60 compact rows the two cost the same, and either may be chosen)
    load_items(url, [item(i, status=f"S{i % 200}") for i in range(600)])
    # the index docs/mirror.md tells a user to add for `like` (the mirror makes none)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
        conn.exec_driver_sql(
            "CREATE INDEX mirror_items_title_trgm ON mirror_items USING gin (f_title gin_trgm_ops)"
        )
    engine.dispose()
    yield url
    next(urls, None)


@contextmanager
def statements() -> Iterator[list[tuple[str, Any]]]:
    """The statements any engine sends inside the block, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        seen.append((args[2], args[3]))  # (conn, cursor, statement, parameters, ...)

    sa.event.listen(Engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        sa.event.remove(Engine, "before_cursor_execute", capture)


def search_plan(
    url: str,
    query: dict[str, Any],
    *,
    page: int = 1,
    statement: int = -1,
    disable: tuple[str, ...] = ("seqscan", "bitmapscan"),
) -> str:
    """EXPLAIN of a statement (by default the last) reading the table's records for the
    `page`-th page of a search, with the `disable`d plan types switched off."""
    with Mirror(url) as m:
        cursor = None
        for _ in range(page - 1):
            cursor = m.search("items", query, limit=5, cursor=cursor)["meta"]["cursor"]
        with statements() as seen:
            m.search("items", query, limit=5, cursor=cursor)
    reads = [(sql, p) for sql, p in seen if "FROM mirror_items" in sql and "_record" in sql]
    sql, params = reads[statement]
    return explain(url, sql, params, disable=disable)


def explain(url: str, sql: str, params: Any, *, disable: tuple[str, ...] = ()) -> str:
    """PostgreSQL's plan of `sql`, with the `disable`d plan types switched off."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for plan_type in disable:
            conn.exec_driver_sql(f"SET LOCAL enable_{plan_type} = off")
        lines = conn.exec_driver_sql(f"EXPLAIN {sql}", params).scalars().all()
    engine.dispose()
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("query", "index"),
    [
        ({"filter": {"eq": {"status": "S1"}}}, "mirror_items__status"),
        ({"sort": [{"created_at": "asc"}]}, "mirror_items__created_at"),
        ({"sort": [{"created_at": "desc"}]}, "mirror_items__created_at"),
        ({"filter": {"eq": {"status": "S2"}}, "sort": [{"status": "desc"}]}, "__status"),
        ({"sort": [{"id": "desc"}]}, "mirror_items__pk_key"),
        ({"sort": [{"id": "asc"}, {"count": "desc"}]}, "mirror_items__pk_key"),
        ({}, "mirror_items_pkey"),  # load order: `_rowid`, the primary key
    ],
    ids=str,
)
@pytest.mark.parametrize("page", [1, 2])
def test_key_order_comes_from_the_index(
    pg_url: str, query: dict[str, Any], index: str, page: int
) -> None:
    """`_rowid` (the tie-break) and the key are NOT NULL: ordering them with a NULLS clause
    the index does not have made PostgreSQL read every match and sort them. A sort on the
    key needs no tie-break (the key is unique), which would cost a sort step too."""
    plan = search_plan(pg_url, query, page=page)
    assert index in plan
    assert "Sort" not in plan, plan


@pytest.mark.parametrize(
    ("flt", "index"),
    [
        ({"keyword": {"title": "17"}}, "mirror_items__words_title"),
        ({"fuzzy": {"description": "number 17"}}, "mirror_items__words_description"),
        ({"and": [{"fuzzy": {"title": "dress 17"}}]}, "mirror_items__words_title"),
        ({"like": {"title": "%dress 17%"}}, "mirror_items_title_trgm"),
    ],
    ids=str,
)
def test_text_searches_read_their_index(pg_url: str, flt: dict[str, Any], index: str) -> None:
    """A GIN index is read through a bitmap only: with sequential and plain index scans
    off, a selective word is looked up in its word array's index (in the scan's first
    window of `_rowid` too), and `like` in the pg_trgm index docs/mirror.md tells a user
    to add. The word regex leaves that index alone: its lossy matches would have every
    candidate checked twice."""
    plan = search_plan(pg_url, {"filter": flt}, statement=0, disable=("seqscan", "indexscan"))
    assert index in plan, plan
    if "__words_" in index:
        assert "_trgm" not in plan, plan
