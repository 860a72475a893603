"""The few places where SQLite and PostgreSQL differ: engine setup, upsert construct,
JSON arrays, NULL ordering in indexes, statistics and the statement timeout; text search
differs most and has a module of its own, `textsearch`.

Everything else in the mirror is one SQLAlchemy Core code path.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.engine.url import make_url

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
#: SQLite page cache of the target's connection: the indexes' pages a batch touches stay
#: in memory between batches (bounded: it does not grow with the mirror).
WRITER_CACHE_KIB = 16_000
#: PostgreSQL writers: the session's buffers for temporary tables (the COPY stage)
STAGE_BUFFERS_MB = 32
#: PostgreSQL readers: pages a bitmap scan may ask for ahead (`effective_io_concurrency`)
READ_AHEAD = 64


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def dumps(value: object, *, ascii_only: bool = False) -> str:
    """Compact JSON, with Decimal (the SDK's float parser) and datetimes handled; with
    `ascii_only`, every other character escaped (text that is not Unicode included)."""
    return json.dumps(value, separators=(",", ":"), default=_json_default, ensure_ascii=ascii_only)


def loads(text: str | bytes) -> Any:
    """Decode a stored record: msgspec (several times faster than `json`), or `json.loads`
    for what msgspec refuses and `json` reads (lone surrogates, NaN, numbers out of range),
    so the result is always the one `json.loads` gives."""
    try:
        return msgspec.json.decode(text)
    except msgspec.MsgspecError:
        return json.loads(text)


def make_engine(url: str | URL, *, writer: bool = False) -> Engine:
    """An engine for `url`: SQLite in WAL mode with explicit transactions, or PostgreSQL
    (`database.open_engine` checks the URL first, and connects).

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

    elif writer:
        errors = engine.dialect.loaded_dbapi.Error

        @sa.event.listens_for(engine, "connect")
        def _connect_pg_writer(dbapi_connection: Any, _record: Any) -> None:
            # A record over 2 kB is compressed as COPY stores it in the stage (`load.pgcopy`),
            # and the stream table takes it compressed as it is: LZ4, where the server has
            # it (PostgreSQL 14+, built with lz4), instead of the default pglz, which took
            # 3% of the backends' time in a load of 1M board pins
            try:
                with dbapi_connection.cursor() as cursor:
                    cursor.execute("SET default_toast_compression = 'lz4'")
                dbapi_connection.commit()
            except errors:
                dbapi_connection.rollback()  # an older server, or one without lz4: pglz
            # A batch's stage (`load.pgcopy`, about 9 MB for 5,000 pins) held in the
            # session's own buffers: with the default 8 MB, every page of it went out to
            # the file and was read back by the upsert
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET temp_buffers = '{STAGE_BUFFERS_MB}MB'")
            dbapi_connection.commit()

    else:
        errors = engine.dialect.loaded_dbapi.Error

        @sa.event.listens_for(engine, "connect")
        def _connect_pg(dbapi_connection: Any, _record: Any) -> None:
            # A search's bitmap scans read rows spread over the table: let the server ask
            # for READ_AHEAD pages at once (PostgreSQL's default is 1). On a page cache
            # emptied of a 10M-pin mirror, a window's 382 rows took 46 ms at 1, 8 at 64.
            try:
                with dbapi_connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT set_config('effective_io_concurrency', greatest(%s, "
                        "current_setting('effective_io_concurrency')::int)::text, false)",
                        (READ_AHEAD,),
                    )
                dbapi_connection.commit()
            except errors:
                # a platform without posix_fadvise takes only 0: keep the server's value
                dbapi_connection.rollback()

    return engine


def upsert(dialect: str, table: sa.Table, names: list[str], select: sa.Select[Any]) -> Any:
    """INSERT the rows of `select` into the columns `names` of a stream table; a row whose
    `_pk` is there already replaces it only if its version or record differs, so loading
    the same records twice writes nothing, and keeps its `_rowid` (its place in load
    order)."""
    insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
    ins = insert(table).from_select(names, select)
    changed = sa.or_(
        table.c._version.is_distinct_from(ins.excluded._version),
        sa.cast(table.c._record, sa.Text) != sa.cast(ins.excluded._record, sa.Text),
    )
    return ins.on_conflict_do_update(
        index_elements=[table.c._pk],
        set_={name: ins.excluded[name] for name in names if name not in {"_pk", "_rowid"}},
        where=changed,
    )


def batch_elements() -> tuple[Any, sa.ColumnElement[Any]]:
    """SQLite: the rows of a batch (`store.Batch`): the elements of the JSON array `:rows`
    (column `value`, `[pk, version, offset, length, promoted values...]`), and each row's
    record, cut from the bytes `:records` as a JSON document.

    The whole batch travels as two parameters and SQLite unpacks it in C: one statement
    per batch, no per-row driver work, and the record is never parsed. (PostgreSQL gets
    its batches by COPY: `load.pgcopy`.)
    """
    rows = sa.bindparam("rows", type_=sa.LargeBinary)
    records = sa.bindparam("records", type_=sa.LargeBinary)
    elements = sa.func.json_each(sa.cast(rows, sa.Text)).table_valued(sa.column("value", JSON))
    elements = elements.alias("batch_row")
    value = elements.c.value
    # bytes: substr() counts bytes in a BLOB (in text it walks the characters from the start)
    cut = sa.func.substr(records, value[2].as_integer(), value[3].as_integer())
    return elements, sa.cast(cut, sa.Text)


def has_key(dialect: str, doc: sa.ColumnElement[Any], key: str) -> sa.ColumnElement[bool]:
    """The JSON object `doc` has the top-level `key`."""
    if dialect == "postgresql":
        return doc.op("?")(sa.literal(key))
    return sa.func.json_type(doc, _sqlite_path((key,))).is_not(None)


def rename_key(dialect: str, doc: sa.ColumnElement[Any], old: str, new: str) -> Any:
    """The JSON object `doc` with its top-level key `old` renamed `new`."""
    if dialect == "postgresql":
        moved = sa.func.jsonb_build_object(sa.literal(new), doc.op("->")(sa.literal(old)))
        return doc.op("-")(sa.literal(old)).op("||")(moved)
    path = _sqlite_path((old,))
    value = sa.func.json(doc.op("->")(sa.literal(path)))  # `->`: the value as JSON text
    return sa.func.json_set(sa.func.json_remove(doc, path), _sqlite_path((new,)), value)


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


def estimated_rows(conn: Connection, table: sa.Table, where: sa.ColumnElement[bool]) -> float:
    """PostgreSQL: the planner's estimate of the rows of `table` where `where` holds."""
    stmt = sa.select(sa.literal(1)).select_from(table).where(where)
    compiled = stmt.compile(dialect=conn.dialect)
    plan = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar()
    return plan[0]["Plan"]["Plan Rows"] if plan else 0


def nullable(column: sa.ColumnElement[Any]) -> bool:
    """Whether `column` may hold NULL (any expression may)."""
    return not (isinstance(column, sa.Column) and not column.nullable)


def maintenance(conn: Connection, table_name: str) -> list[list[Any]]:
    """The statements to run after a load, in groups that may run at once on separate
    connections (each group in order); none on SQLite.

    PostgreSQL's planner needs the table's statistics (autovacuum may take minutes to
    gather them, and until then a text search can pick a plan 100 times slower), so the
    first group ANALYZEs it. SQLite plans the mirror's queries well without statistics.

    The GIN indexes' pending lists (where inserts wait to be merged, up to 4 MB) are
    merged too, one group each: every search reads a pending list whole, which after a
    load of 1M pins doubled the time to look a word up (12 ms instead of 6). And the BRIN
    index of `_rowid` (`textsearch.add_word_arrays`) summarizes the pages the load filled
    (a window of a text scan reads every page not yet summarized): after ANALYZE, whose
    SHARE UPDATE EXCLUSIVE lock it takes too.
    """
    if conn.dialect.name != "postgresql":
        return []
    indexes = conn.execute(
        sa.text(
            "SELECT a.amname, i.indexrelid::regclass::text FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
            "WHERE i.indrelid = CAST(:table AS regclass) AND a.amname IN ('gin', 'brin') "
            "ORDER BY 2"
        ),
        {"table": f'"{table_name}"'},
    ).all()
    statistics: list[Any] = [sa.text(f'ANALYZE "{table_name}"')]
    groups = [statistics]
    for method, index in indexes:
        function = "gin_clean_pending_list" if method == "gin" else "brin_summarize_new_values"
        call = sa.text(f"SELECT {function}(CAST(:index AS regclass))").bindparams(index=index)
        if method == "gin":
            groups.append([call])
        else:
            statistics.append(call)
    return groups


def _sqlite_path(path: tuple[str, ...]) -> str:
    return "$" + "".join(f'."{key}"' for key in path)


def array_elements(dialect: str, doc: sa.ColumnElement[Any], path: tuple[str, ...]) -> Any:
    """A table-valued FROM of the elements of the JSON array at `path` (column `value`)."""
    if dialect == "postgresql":
        array = doc.op("#>")(sa.cast(sa.literal(list(path)), postgresql.ARRAY(sa.Text)))
        guarded = sa.case((sa.func.jsonb_typeof(array) == "array", array))
        func = sa.func.jsonb_array_elements(guarded)
    else:
        func = sa.func.json_each(_sqlite_array(doc, path), _sqlite_path(path))
    return func.table_valued(sa.column("value", JSON)).alias("elem")


def _sqlite_array(doc: sa.ColumnElement[Any], path: tuple[str, ...]) -> sa.ColumnElement[Any]:
    """`doc` if the value at `path` is an array, else NULL: SQLite's json_each yields a
    scalar, or a JSON null, as one element (as PostgreSQL's guard above does not)."""
    return sa.case((sa.func.json_type(doc, _sqlite_path(path)) == "array", doc))


def array_contains(
    dialect: str, doc: sa.ColumnElement[Any], path: tuple[str, ...], value: object
) -> sa.ColumnElement[bool]:
    """The JSON array at `path` holds the scalar `value`."""
    if dialect == "postgresql":
        array = doc.op("#>")(sa.cast(sa.literal(list(path)), postgresql.ARRAY(sa.Text)))
        probe = sa.cast(sa.literal(dumps([value])), postgresql.JSONB)
        return array.op("@>")(probe)
    each = sa.func.json_each(_sqlite_array(doc, path), _sqlite_path(path))
    elements = each.table_valued("value", "type")
    return sa.exists(
        sa.select(sa.literal(1))
        .select_from(elements)
        .where(elements.c.value == value, elements.c.type.notin_(["object", "array"]))
    )


@contextmanager
def statement_timeout(conn: Connection, milliseconds: int) -> Iterator[None]:
    """Abort the statements run inside the block after `milliseconds` (per transaction)."""
    if conn.dialect.name == "postgresql":
        # the driver's SQL: SQLAlchemy's construct took 0.5 ms a search to build and run
        conn.exec_driver_sql(
            "SELECT set_config('statement_timeout', %(ms)s, true)", {"ms": str(milliseconds)}
        )
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
