"""The sort indexes: (field, `_rowid`), read in page order without a sort step, and the
upgrade of a mirror whose indexes an earlier version built on (field, `_pk`)."""

from __future__ import annotations

import sqlalchemy as sa

from tap_pinterest.mirror import Mirror, dialects
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


def test_an_earlier_mirror_gets_its_indexes_rebuilt_on_the_next_load(db_url: str) -> None:
    load_items(db_url, [item(i) for i in range(20)])
    engine = dialects.make_engine(db_url)
    with engine.begin() as conn:  # the layout an earlier version built
        for field in ("created_at", "status"):
            conn.exec_driver_sql(f"DROP INDEX {TABLE}__{field}")
            conn.exec_driver_sql(f"CREATE INDEX {TABLE}__{field} ON {TABLE} (f_{field}, _pk)")
    engine.dispose()
    assert _index_columns(db_url)[f"{TABLE}__status"] == ["f_status", "_pk"]
    old_plan = _plan(db_url, _order(db_url, "f_status"))
    assert "Sort" in old_plan or "TEMP B-TREE" in old_plan
    with Mirror(db_url) as m:  # still answers, in the new order
        before = m.search("items", {"sort": [{"status": "asc"}]}, limit=100)["data"]
    load_items(db_url, [item(20)])
    columns = _index_columns(db_url)
    for field in ("created_at", "status"):
        assert "_pk" not in columns[f"{TABLE}__{field}"]
        assert f"{TABLE}__{field}" in _plan(db_url, _order(db_url, f"f_{field}"))
    with Mirror(db_url) as m:
        after = m.search("items", {"sort": [{"status": "asc"}]}, limit=100)["data"]
    assert [r["id"] for r in after if r["id"] != "item020"] == [r["id"] for r in before]
