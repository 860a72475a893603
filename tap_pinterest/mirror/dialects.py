"""The few places where SQLite and PostgreSQL differ: engine setup, upsert construct,
trigram text index, JSON arrays, NULL ordering in indexes and the statement timeout.

Everything else in the mirror is one SQLAlchemy Core code path.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.url import make_url

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
#: SQLite page cache of the target's connection: the indexes' pages a batch touches stay
#: in memory between batches (bounded: it does not grow with the mirror).
WRITER_CACHE_KIB = 128_000


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def dumps(value: object) -> str:
    """Compact JSON, with Decimal (the SDK's float parser) and datetimes handled."""
    return json.dumps(value, separators=(",", ":"), default=_json_default, ensure_ascii=False)


def loads(text: str | bytes) -> Any:
    """Decode a stored record: msgspec (several times faster than `json`), or `json.loads`
    for what msgspec refuses and `json` reads (lone surrogates, NaN, numbers out of range),
    so the result is always the one `json.loads` gives."""
    try:
        return msgspec.json.decode(text)
    except msgspec.MsgspecError:
        return json.loads(text)


def make_engine(url: str, *, writer: bool = False) -> Engine:
    """An engine for `url`: SQLite in WAL mode with explicit transactions, or PostgreSQL.

    A SQLite `writer` takes the write lock when its transaction begins (BEGIN IMMEDIATE),
    so it waits for other writers instead of failing on a lock upgrade.

    PostgreSQL statements are never prepared (psycopg's `prepare_threshold=None`): after
    five runs a prepared statement may switch to a generic plan, which cannot see how
    common the searched words are and reads a common word as if it were rare.
    """
    options: dict[str, Any] = {}
    if make_url(url).get_backend_name() == "postgresql":
        options["connect_args"] = {"prepare_threshold": None}
    engine = sa.create_engine(
        url, json_serializer=dumps, json_deserializer=loads, future=True, **options
    )
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself
            cursor = dbapi_connection.cursor()
            for pragma in (
                # before the first table is created (no effect on an existing file): rows
                # of ~1.5 kB leave a third of a 4 kB page unused, and 8 kB pages halve the
                # b-tree pages a batch dirties
                "page_size=8192",
                "journal_mode=WAL",
                "synchronous=NORMAL",
                "busy_timeout=30000",
                f"cache_size=-{WRITER_CACHE_KIB if writer else 32000}",
                "temp_store=MEMORY",
            ):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    elif engine.dialect.name != "postgresql":
        msg = (
            f"Unsupported database {engine.dialect.name!r}: use sqlite:/// or postgresql+psycopg://"
        )
        raise ValueError(msg)
    return engine


def insert(engine: Engine | Connection, table: sa.Table) -> Any:
    """The dialect's INSERT construct (both offer `on_conflict_do_update`)."""
    if engine.dialect.name == "sqlite":
        return sqlite.insert(table)
    return postgresql.insert(table)


def batch_elements(dialect: str) -> tuple[Any, sa.ColumnElement[Any]]:
    """The rows of a batch (`store.Batch`): the elements of the JSON array `:rows`
    (column `value`, `[pk, version, offset, length, promoted values...]`), and each row's
    record, cut from the bytes `:records` as a JSON document.

    The whole batch travels as two parameters and the database unpacks it in C: one
    statement per batch, no per-row driver work. The record is never parsed on SQLite.
    """
    rows = sa.bindparam("rows", type_=sa.LargeBinary)
    records = sa.bindparam("records", type_=sa.LargeBinary)
    if dialect == "postgresql":
        array = sa.cast(sa.func.convert_from(rows, "UTF8"), postgresql.JSONB)
        elements = sa.func.jsonb_array_elements(array).table_valued(sa.column("value", JSON))
        elements = elements.alias("batch_row")
        value = elements.c.value
        cut = sa.func.substring(records, value[2].as_integer(), value[3].as_integer())
        return elements, sa.cast(sa.func.convert_from(cut, "UTF8"), postgresql.JSONB)
    elements = sa.func.json_each(sa.cast(rows, sa.Text)).table_valued(sa.column("value", JSON))
    elements = elements.alias("batch_row")
    value = elements.c.value
    # bytes: substr() counts bytes in a BLOB (in text it walks the characters from the start)
    cut = sa.func.substr(records, value[2].as_integer(), value[3].as_integer())
    return elements, sa.cast(cut, sa.Text)


def sort_index_columns(dialect: str, column: sa.Column[Any], rowid: sa.Column[Any]) -> list[Any]:
    """Index columns for keyset paging on (column, `_rowid`), NULL sorting first.

    SQLite ends every index with the rowid by itself (`_rowid` is its alias), and sorts
    NULL first natively: the column alone is the whole key, and the smallest entry.
    """
    if dialect == "postgresql":
        return [column.asc().nulls_first(), rowid]
    return [column]


def ordering(column: sa.ColumnElement[Any], *, descending: bool) -> sa.ColumnElement[Any]:
    """ORDER BY term: NULL is the smallest value on both databases.

    A NOT NULL column (`_rowid`, the key `_pk`) gets no NULLS clause: PostgreSQL matches an
    index's order to the ORDER BY only when the NULLS placement agrees too (it does not
    reason that a NOT NULL column has none), and the plain direction is what an index
    on (`f_<field>`, `_rowid`) yields scanned either way, as does the key's own index.
    """
    if not nullable(column):
        return column.desc() if descending else column.asc()
    return column.desc().nulls_last() if descending else column.asc().nulls_first()


def nullable(column: sa.ColumnElement[Any]) -> bool:
    """Whether `column` may hold NULL (any expression may)."""
    return not (isinstance(column, sa.Column) and not column.nullable)


def fts_name(table_name: str) -> str:
    return f"{table_name}__fts"


def create_text_index(conn: Connection, table_name: str, fields: list[str]) -> None:
    """(Re)create the text index over the promoted text columns `f_<field>`.

    SQLite: an FTS5 word index (unicode61, case-folded) kept in step by triggers.
    PostgreSQL: a pg_trgm GIN index per column (serves ILIKE and the word regexes).
    """
    drop_text_index(conn, table_name)
    if not fields:
        return
    cols = [f"f_{name}" for name in fields]
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for col in cols:
            conn.exec_driver_sql(
                f'CREATE INDEX IF NOT EXISTS "{table_name}__trgm_{col}" '
                f'ON "{table_name}" USING gin ("{col}" gin_trgm_ops)'
            )
        return
    # DDL cannot bind identifiers: `table_name` comes from `store.table_name_for` and the
    # columns from the promoted field names, both restricted to [a-z0-9_].
    fts = fts_name(table_name)
    col_list = ", ".join(cols)
    new = ", ".join(f"new.{c}" for c in cols)
    old = ", ".join(f"old.{c}" for c in cols)
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in cols)
    conn.exec_driver_sql(
        f"CREATE VIRTUAL TABLE {fts} USING fts5({col_list}, content='{table_name}', "
        "content_rowid='_rowid', tokenize='unicode61 remove_diacritics 0', detail=column, "
        "columnsize=0)"
    )
    conn.exec_driver_sql(
        f"CREATE TRIGGER {table_name}__ai AFTER INSERT ON {table_name} BEGIN "  # noqa: S608
        f"INSERT INTO {fts}(rowid, {col_list}) VALUES (new._rowid, {new}); END"
    )
    conn.exec_driver_sql(
        f"CREATE TRIGGER {table_name}__ad AFTER DELETE ON {table_name} BEGIN "  # noqa: S608
        f"INSERT INTO {fts}({fts}, rowid, {col_list}) VALUES ('delete', old._rowid, {old}); END"
    )
    conn.exec_driver_sql(
        f"CREATE TRIGGER {table_name}__au AFTER UPDATE ON {table_name} WHEN {changed} BEGIN "  # noqa: S608
        f"INSERT INTO {fts}({fts}, rowid, {col_list}) VALUES ('delete', old._rowid, {old}); "
        f"INSERT INTO {fts}(rowid, {col_list}) VALUES (new._rowid, {new}); END"
    )
    conn.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608


def refresh_statistics(conn: Connection, table_name: str) -> None:
    """After a load: PostgreSQL's planner needs the table's statistics (autovacuum may take
    minutes to gather them, and until then a text search can pick a plan 100 times
    slower), so ANALYZE it. SQLite plans the mirror's queries well without statistics."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f'ANALYZE "{table_name}"')


def drop_text_index(conn: Connection, table_name: str) -> None:
    if conn.dialect.name == "postgresql":
        return  # per-column GIN indexes are kept; new ones are added
    for suffix in ("ai", "ad", "au"):
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table_name}__{suffix}")
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {fts_name(table_name)}")


#: A whole word (see `query`: a run of letters and digits), as a PostgreSQL regex and as
#: a Python one: no letter or digit just before or after it (`_` is neither).
_PG_WORD = "(?<![[:alnum:]]){}(?![[:alnum:]])"
_PY_WORD = r"(?<![^\W_]){}(?![^\W_])"
WORDS_IN_ORDER = "mirror_words_in_order"


def _in_order(word: str, words: list[str]) -> str:
    """A regex: the whole `words` in this order, anything between."""
    return ".*".join(word.format(re.escape(w)) for w in words)


def _words_in_order(pattern: str, text: str | None) -> bool | None:
    if text is None:
        return None
    return _compiled(pattern).search(text) is not None


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.DOTALL)


def add_search_functions(engine: Engine) -> None:
    """Give each SQLite connection of a reading engine `mirror_words_in_order(pattern, text)`
    (used by `fuzzy`); PostgreSQL needs none."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.create_function(WORDS_IN_ORDER, 2, _words_in_order, deterministic=True)


@dataclass
class TextScan:
    """A whole-word search read in load order: the FROM to select from, its condition and
    the column holding the row's `_rowid` there (on SQLite the text index's own rowid, so
    FTS5 returns matches in order and the LIMIT stops it early)."""

    source: sa.FromClause
    where: sa.ColumnElement[bool]
    rowid: sa.ColumnElement[Any]


def word_scan(
    dialect: str, table: sa.Table, field: str, words: list[str], *, ordered: bool
) -> TextScan:
    """`word_match` as a scan in `_rowid` order (the filter is that one condition)."""
    if dialect == "postgresql":
        where = word_match(dialect, table, field, words, ordered=ordered)
        return TextScan(table, where, table.c._rowid)
    fts = sa.table(fts_name(table.name), sa.column("rowid"), sa.column(f"f_{field}")).alias("fts")
    where = fts.c[f"f_{field}"].op("MATCH")(_fts_query(words, ordered=ordered))
    if ordered and len(words) > 1:
        where = sa.and_(where, _sqlite_in_order(table.c[f"f_{field}"], words))
    source = fts.join(table, table.c._rowid == fts.c.rowid)
    return TextScan(source, where, fts.c.rowid)


def word_match(
    dialect: str, table: sa.Table, field: str, words: list[str], *, ordered: bool
) -> sa.ColumnElement[bool]:
    """Whole words in an indexed text field: all of them in order (`ordered`, fuzzy), or
    any of them (keyword). Case-insensitive. `words` hold letters and digits only."""
    column = table.c[f"f_{field}"]
    if dialect == "postgresql":
        any_word = _PG_WORD.format("(?:" + "|".join(words) + ")")
        return column.op("~*")(_in_order(_PG_WORD, words) if ordered else any_word)
    fts = sa.table(fts_name(table.name), sa.column("rowid"), sa.column(f"f_{field}"))
    hits = sa.select(fts.c.rowid).where(
        fts.c[f"f_{field}"].op("MATCH")(_fts_query(words, ordered=ordered))
    )
    found = table.c._rowid.in_(hits)
    if ordered and len(words) > 1:
        return sa.and_(found, _sqlite_in_order(column, words))
    return found


def _fts_query(words: list[str], *, ordered: bool) -> str:
    return (" AND " if ordered else " OR ").join(f'"{w}"' for w in words)


def _sqlite_in_order(column: sa.ColumnElement[Any], words: list[str]) -> Any:
    return sa.func.mirror_words_in_order(_in_order(_PY_WORD, words), column).is_(True)


def _sqlite_path(path: tuple[str, ...]) -> str:
    return "$" + "".join(f'."{key}"' for key in path)


def array_elements(dialect: str, doc: sa.ColumnElement[Any], path: tuple[str, ...]) -> Any:
    """A table-valued FROM of the elements of the JSON array at `path` (column `value`)."""
    if dialect == "postgresql":
        array = doc.op("#>")(sa.cast(sa.literal(list(path)), postgresql.ARRAY(sa.Text)))
        guarded = sa.case((sa.func.jsonb_typeof(array) == "array", array))
        func = sa.func.jsonb_array_elements(guarded)
    else:
        func = sa.func.json_each(doc, _sqlite_path(path))
    return func.table_valued(sa.column("value", JSON)).alias("elem")


def array_contains(
    dialect: str, doc: sa.ColumnElement[Any], path: tuple[str, ...], value: object
) -> sa.ColumnElement[bool]:
    """The JSON array at `path` holds the scalar `value`."""
    if dialect == "postgresql":
        array = doc.op("#>")(sa.cast(sa.literal(list(path)), postgresql.ARRAY(sa.Text)))
        probe = sa.cast(sa.literal(dumps([value])), postgresql.JSONB)
        return array.op("@>")(probe)
    elements = sa.func.json_each(doc, _sqlite_path(path)).table_valued("value", "type")
    return sa.exists(
        sa.select(sa.literal(1))
        .select_from(elements)
        .where(elements.c.value == value, elements.c.type.notin_(["object", "array"]))
    )


@contextmanager
def statement_timeout(conn: Connection, milliseconds: int) -> Iterator[None]:
    """Abort the statements run inside the block after `milliseconds` (per transaction)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.set_config("statement_timeout", str(milliseconds), True)))
        yield
        return
    raw = conn.connection.driver_connection
    deadline = time.monotonic() + milliseconds / 1000
    handler: Callable[[], int] = lambda: int(time.monotonic() > deadline)  # noqa: E731
    raw.set_progress_handler(handler, 20000)  # type: ignore[union-attr]
    try:
        yield
    finally:
        raw.set_progress_handler(None, 0)  # type: ignore[union-attr]


def is_timeout(exc: BaseException) -> bool:
    """Whether a DBAPI error is the statement timeout (or SQLite's interrupt)."""
    text = str(exc).lower()
    return "statement timeout" in text or "interrupted" in text or "querycanceled" in text
