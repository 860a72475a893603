"""The sort indexes: (field, `_rowid`), read in page order without a sort step."""

from __future__ import annotations

import sqlalchemy as sa

from tap_pinterest.mirror.db import dialects
from tests.mirror.conftest import item, load_items

TABLE = "mirror_items"


def _index_columns(url: str) -> dict[str, list[str]]:
    engine = dialects.make_engine(url)
    try:
        with engine.connect() as conn:
            indexes = sa.inspect(conn).get_indexes(TABLE)
    finally:
        engine.dispose()
    return {str(i["name"]): [str(c) for c in i["column_names"]] for i in indexes}


def _plan(url: str, order: str) -> str:
    """The plan of reading a first sorted page, with a sort made as costly as can be."""
    engine = dialects.make_engine(url)
    sql = f"SELECT _rowid FROM {TABLE} ORDER BY {order} LIMIT 5"  # noqa: S608 - fixed text
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql("SET enable_seqscan = off")
                conn.exec_driver_sql("SET enable_sort = off")
                rows = conn.exec_driver_sql(f"EXPLAIN {sql}")
            else:
                rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
            return "\n".join(str(r[-1]) for r in rows)
    finally:
        engine.dispose()


def _order(url: str, column: str) -> str:
    nulls = " NULLS FIRST" if url.startswith("postgresql") else ""
    return f"{column}{nulls}, _rowid"


def test_a_sorted_page_is_one_index_range(db_url: str) -> None:
    load_items(db_url, [item(i) for i in range(20)])
    columns = _index_columns(db_url)[f"{TABLE}__created_at"]
    # SQLite ends every index with the rowid by itself
    want = ["f_created_at", "_rowid"] if db_url.startswith("postgresql") else ["f_created_at"]
    assert columns == want
    plan = _plan(db_url, _order(db_url, "f_created_at"))
    assert f"{TABLE}__created_at" in plan
    assert "Sort" not in plan
    assert "TEMP B-TREE" not in plan
