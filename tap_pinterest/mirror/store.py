"""The mirror's storage: one table per stream plus a catalog table, SQLite or PostgreSQL.

Layout of a stream table `mirror_<stream>`:

- `_rowid` integer primary key (the FTS5 content rowid on SQLite);
- `_pk` text, unique: the key (a single key as text, a composite key as a JSON array);
- `_version` the Singer table version of the last write (ACTIVATE_VERSION deletes older);
- `_record` the whole record (JSON on SQLite, JSONB on PostgreSQL);
- `f_<field>` a typed copy of the top-level scalar fields that are searched often: ids,
  times and statuses get a b-tree index on (`f_<field>`, `_rowid`), the order a sorted
  page is read in; the text fields get a word index (FTS5 on SQLite; on PostgreSQL
  a GIN tsvector index of the words, plus pg_trgm for `like`).

`mirror_streams` holds, per stream, the merged schema, key properties, promoted columns,
a generation counter bumped on every layout change, and when it was last loaded.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tap_pinterest.mirror import dialects, staging, textsearch
from tap_pinterest.mirror.errors import RecordKeyError
from tap_pinterest.mirror.schema import (
    FieldInfo,
    field_map,
    is_indexed,
    merge_schemas,
    pk_field,
    promoted_columns,
    text_fields,
)

CATALOG = "mirror_streams"
_SQL_TYPES: dict[str, Any] = {
    "string": sa.Text,
    "integer": sa.BigInteger,
    "number": sa.Float,
    "boolean": sa.Boolean,
}


def catalog_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        CATALOG,
        metadata,
        sa.Column("stream", sa.Text, primary_key=True),
        sa.Column("table_name", sa.Text, nullable=False),
        sa.Column("key_properties", sa.Text, nullable=False),
        sa.Column("json_schema", sa.Text, nullable=False),
        sa.Column("columns", sa.Text, nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("last_loaded_at", sa.Text),
    )


def table_name_for(stream: str) -> str:
    """`mirror_<stream>`, made safe as an identifier (a hash suffix keeps it unique)."""
    safe = re.sub(r"[^a-z0-9_]", "_", stream.lower())[:40]
    if safe != stream:
        safe = f"{safe}_{hashlib.sha1(stream.encode()).hexdigest()[:8]}"  # noqa: S324
    return f"mirror_{safe}"


def stream_table(
    name: str, columns: dict[str, str], metadata: sa.MetaData, dialect: str
) -> sa.Table:
    """A stream's table. On SQLite `_pk` and `_record` are not declared NOT NULL: a NOT
    NULL column makes an upsert keep a statement journal (see `staging`)."""
    nullable = dialect == "sqlite"
    return sa.Table(
        name,
        metadata,
        sa.Column("_rowid", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("_pk", sa.Text, nullable=nullable, unique=True),
        sa.Column("_version", sa.BigInteger),
        sa.Column("_record", dialects.JSON, nullable=nullable),
        *(sa.Column(f"f_{col}", _SQL_TYPES[kind]) for col, kind in columns.items()),
    )


@dataclass
class StreamInfo:
    """A stream as stored: its table, fields and key."""

    name: str
    table: sa.Table
    key_properties: list[str]
    schema: dict[str, Any]
    columns: dict[str, str]
    generation: int
    last_loaded_at: str | None
    fields: dict[str, FieldInfo] = field(init=False)
    pk_field: str | None = field(init=False)
    text_fields: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.fields = field_map(self.schema)
        self.pk_field = pk_field(self.schema, self.key_properties)
        self.text_fields = text_fields(self.columns)

    def pk_of(self, record: dict[str, Any]) -> str:
        """The `_pk` text of a record."""
        if len(self.key_properties) == 1:
            (key,) = self.key_properties
            value = record.get(key)
            if value is None:
                raise RecordKeyError(self.name, key, record)
            return str(value)
        return dialects.dumps([record.get(k) for k in self.key_properties])


@dataclass
class Batch:
    """A batch of one stream's rows, as `ingest.RowEncoder` builds it.

    `rows` is one JSON array of `[pk, version, offset, length, promoted values...]`, one
    per record, promoted values in `StreamInfo.columns` order; `records` holds the
    records' JSON texts back to back (`offset` is 1-based, in bytes); `deleted` lists the
    keys to delete; `count` is the number of records.
    """

    rows: bytes
    records: bytes
    deleted: list[str]
    count: int


class Store:
    """Reads and writes the mirror's tables through one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.catalog = catalog_table(sa.MetaData())
        self._infos: dict[str, StreamInfo] = {}
        self._statements: dict[str, tuple[int, Any]] = {}
        self._upgraded: set[str] = set()

    # reading the catalog

    def has_catalog(self) -> bool:
        return sa.inspect(self.engine).has_table(CATALOG)

    def catalog_rows(self, conn: Connection) -> list[Any]:
        return list(conn.execute(sa.select(self.catalog).order_by(self.catalog.c.stream)))

    def info(self, conn: Connection, stream: str) -> StreamInfo | None:
        """The stream's current layout (cached until its generation changes)."""
        row = conn.execute(sa.select(self.catalog).where(self.catalog.c.stream == stream)).first()
        if row is None:
            return None
        cached = self._infos.get(stream)
        if cached is not None and cached.generation == row.generation:
            cached.last_loaded_at = row.last_loaded_at
            return cached
        columns = json.loads(row.columns)
        info = StreamInfo(
            name=stream,
            table=stream_table(row.table_name, columns, sa.MetaData(), self.dialect),
            key_properties=json.loads(row.key_properties),
            schema=json.loads(row.json_schema),
            columns=columns,
            generation=row.generation,
            last_loaded_at=row.last_loaded_at,
        )
        self._infos[stream] = info
        return info

    # writing

    def ensure_stream(
        self, stream: str, schema: dict[str, Any], key_properties: list[str]
    ) -> StreamInfo:
        """Create the stream's table, or evolve it to a schema that gained fields."""
        if not key_properties:
            msg = f"Stream {stream!r} has no key_properties: the mirror upserts on the key."
            raise ValueError(msg)
        with self.engine.begin() as conn:
            self.catalog.create(conn, checkfirst=True)
            current = self.info(conn, stream)
            if current is None:
                return self._create(conn, stream, schema, key_properties)
            if current.key_properties != list(key_properties):
                msg = (
                    f"Stream {stream!r} changed its key from {current.key_properties} to "
                    f"{list(key_properties)}; drop the mirror's table {current.table.name} first."
                )
                raise ValueError(msg)
            self._upgrade(conn, current)
            return self._evolve(conn, current, merge_schemas(current.schema, schema))

    def _create(
        self, conn: Connection, stream: str, schema: dict[str, Any], keys: list[str]
    ) -> StreamInfo:
        columns = promoted_columns(schema, keys)
        name = table_name_for(stream)
        table = stream_table(name, columns, sa.MetaData(), self.dialect)
        table.create(conn)
        for col in columns:
            self._index(conn, table, col, keys)
        textsearch.create_text_index(conn, name, text_fields(columns))
        conn.execute(
            sa.insert(self.catalog).values(
                stream=stream,
                table_name=name,
                key_properties=json.dumps(keys),
                json_schema=json.dumps(schema),
                columns=json.dumps(columns),
                generation=1,
            )
        )
        info = self.info(conn, stream)
        if info is None:  # pragma: no cover - just inserted
            raise RuntimeError(stream)
        return info

    def _evolve(self, conn: Connection, info: StreamInfo, schema: dict[str, Any]) -> StreamInfo:
        if schema == info.schema:
            return info
        columns = dict(info.columns)
        added = {
            col: kind
            for col, kind in promoted_columns(schema, info.key_properties).items()
            if col not in columns
        }
        columns.update(added)
        table = stream_table(info.table.name, columns, sa.MetaData(), self.dialect)
        prep = conn.dialect.identifier_preparer
        for col, kind in added.items():
            column = table.c[f"f_{col}"]
            type_sql = column.type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(
                f"ALTER TABLE {prep.quote(table.name)} ADD COLUMN {prep.quote(column.name)} "
                f"{type_sql}"
            )
            # old rows may already carry the field (additionalProperties): copy it over
            conn.execute(
                sa.update(table).values({column: json_value(table.c._record[(col,)], kind)})
            )
            self._index(conn, table, col, info.key_properties)
        if text_fields(columns) != info.text_fields:
            textsearch.create_text_index(conn, table.name, text_fields(columns))
        conn.execute(
            sa.update(self.catalog)
            .where(self.catalog.c.stream == info.name)
            .values(
                json_schema=json.dumps(schema),
                columns=json.dumps(columns),
                generation=info.generation + 1,
            )
        )
        new = self.info(conn, info.name)
        if new is None:  # pragma: no cover - just updated
            raise RuntimeError(info.name)
        return new

    def _index(self, conn: Connection, table: sa.Table, col: str, keys: list[str]) -> None:
        if not is_indexed(col, keys):
            return
        column = table.c[f"f_{col}"]
        cols = dialects.sort_index_columns(self.dialect, column, table.c._rowid)
        sa.Index(f"{table.name}__{col}", *cols).create(conn)

    def _upgrade(self, conn: Connection, info: StreamInfo) -> None:
        """Bring a table made by an earlier version up to date: rebuild sort indexes on
        (field, `_pk`), add missing word indexes (PostgreSQL), drop what made the SQLite
        upsert keep a statement journal (`staging.upgrade_table`). Runs once per table
        and process.

        Pages are now read in (field, `_rowid`) order, and an index on (field, `_pk`)
        would leave every page to be sorted.
        """
        if info.table.name in self._upgraded:
            return
        self._upgraded.add(info.table.name)
        textsearch.add_word_indexes(conn, info.table.name, info.text_fields)
        if self.dialect == "sqlite":
            staging.upgrade_table(conn, info.table.name)
        quote = conn.dialect.identifier_preparer.quote
        for index in sa.inspect(conn).get_indexes(info.table.name):
            name, columns = index["name"], index["column_names"]
            if name and len(columns) == 2 and columns[1] == "_pk" and str(columns[0])[:2] == "f_":
                conn.exec_driver_sql(f"DROP INDEX {quote(name)}")
                self._index(conn, info.table, str(columns[0])[2:], info.key_properties)

    def upsert(self, conn: Connection, info: StreamInfo, batch: Batch) -> None:
        """Insert or update a batch's rows (unique by pk) and delete its deleted keys, in
        the caller's transaction."""
        if batch.rows != b"[]":
            statement = self._upsert_statement(info)
            if isinstance(statement, staging.StagedUpsert):
                statement.run(conn, batch)
            else:
                conn.execute(statement, {"rows": batch.rows, "records": batch.records})
        for start in range(0, len(batch.deleted), 500):
            chunk = batch.deleted[start : start + 500]
            conn.execute(sa.delete(info.table).where(info.table.c._pk.in_(chunk)))
        self._touch(conn, info)

    def _upsert_statement(self, info: StreamInfo) -> Any:
        """PostgreSQL: INSERT ... SELECT from the batch's rows ... ON CONFLICT (_pk) DO
        UPDATE. SQLite: the same through a staging table (`staging.StagedUpsert`)."""
        cached = self._statements.get(info.name)
        if cached is not None and cached[0] == info.generation:
            return cached[1]
        elements, record = dialects.batch_elements(self.dialect)
        value = elements.c.value
        columns = {
            "_pk": json_value(value[0], "string"),
            "_version": json_value(value[1], "integer"),
            "_record": record,
        }
        for i, (col, kind) in enumerate(info.columns.items(), start=4):
            columns[f"f_{col}"] = json_value(value[i], kind)
        if self.dialect == "sqlite":
            stmt: Any = staging.StagedUpsert.build(info, columns, elements)
        else:
            select = sa.select(*columns.values()).select_from(elements).where(sa.true())
            stmt = dialects.upsert(self.dialect, info.table, list(columns), select)
        self._statements[info.name] = (info.generation, stmt)
        return stmt

    def activate_version(self, info: StreamInfo, version: int) -> int:
        """Delete the rows a full sync of `version` did not write; return how many."""
        table = info.table
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.delete(table).where(
                    sa.or_(table.c._version < version, table.c._version.is_(None))
                )
            )
            self._touch(conn, info)
        return int(result.rowcount or 0)

    def refresh_statistics(self, info: StreamInfo) -> None:
        """Update the planner's statistics of the stream's table (after a load)."""
        with self.engine.begin() as conn:
            dialects.refresh_statistics(conn, info.table.name)

    def _touch(self, conn: Connection, info: StreamInfo) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        conn.execute(
            sa.update(self.catalog)
            .where(self.catalog.c.stream == info.name)
            .values(last_loaded_at=now)
        )


def json_value(element: Any, kind: str) -> sa.ColumnElement[Any]:
    """A JSON path element as a typed SQL value (64-bit integers, floats, booleans, text)."""
    text = element.as_string()
    if kind in _SQL_TYPES and kind != "string":
        return sa.cast(text, _SQL_TYPES[kind])
    return text
