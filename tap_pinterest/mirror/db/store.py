"""The mirror's tables, SQLite or PostgreSQL, and `Store`, which reads their catalog.

Layout of a stream table `mirror_<stream>`:

- `_rowid` integer primary key (the FTS5 content rowid on SQLite);
- `_pk` text, unique: the key (a single key as text, a composite key as a JSON array);
- `_version` the Singer table version of the last write (ACTIVATE_VERSION deletes older);
- `_record` the record (JSON on SQLite, JSONB on PostgreSQL) in its compact form: the
  top-level fields the schema declares are keyed by short codes (`schema.field_codes`)
  and left out where they are null, any other field keeps its name after a `~`
  (`StreamInfo.full` puts the record back together);
- `f_<field>` a typed copy of the top-level scalar fields that are searched often: ids,
  times and statuses get a b-tree index on (`f_<field>`, `_rowid`), the order a sorted
  page is read in; the text fields get a word index (FTS5 on SQLite);
- `w_<field>` (PostgreSQL) each text field's ASCII words as a text array, under a GIN
  index (`textsearch.ascii_words`).

`mirror_streams` holds, per stream, the merged schema, key properties, promoted columns,
a generation counter bumped on every layout change, and when it was last loaded.
`mirror_layout` holds the version of this layout (`LAYOUT`): a mirror made by another
layout is refused with one `DatabaseError` (rebuild it), never migrated.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine

from tap_pinterest.mirror.db import database, dialects, textsearch
from tap_pinterest.mirror.db.database import DatabaseError
from tap_pinterest.mirror.db.schema import text_fields
from tap_pinterest.mirror.db.types import StreamInfo

CATALOG = "mirror_streams"
LAYOUT_TABLE = "mirror_layout"
#: The version of the tables' layout; a change the code cannot read in an older mirror
#: bumps it (the mirror is then rebuilt: there are no migrations).
LAYOUT = 3  # 2: records stored compact (short keys, no null top-level fields);
#             3: PostgreSQL keeps each text field's words in an array (`w_<field>`)
#: The layouts this code reads, per dialect: SQLite's tables did not change in layout 3.
READS = {"sqlite": {2, 3}, "postgresql": {3}}
REBUILD = "rebuild this mirror (delete it and run a full sync)"
SQL_TYPES: dict[str, Any] = {
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


def layout_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(LAYOUT_TABLE, metadata, sa.Column("version", sa.Integer, nullable=False))


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
    NULL column makes an upsert keep a statement journal (see `load.staging`).

    On PostgreSQL the key, the ids, times and statuses, and the word arrays compare by
    bytes (`COLLATE "C"`), as SQLite's text does: they sort in the same order on both, and
    every index insert compares with memcmp instead of the locale's strcoll (with the
    server's C.UTF-8 locale, a tenth of a load's time). The text fields keep the
    database's collation: the word regex and `like` fold case by it, beyond ASCII too.
    """
    nullable = dialect == "sqlite"
    words = text_fields(columns) if dialect == "postgresql" else []
    key_text = sa.Text(collation="C") if dialect == "postgresql" else sa.Text()
    return sa.Table(
        name,
        metadata,
        sa.Column("_rowid", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("_pk", key_text, nullable=nullable, unique=True),
        sa.Column("_version", sa.BigInteger),
        sa.Column("_record", dialects.JSON, nullable=nullable),
        *(
            sa.Column(
                f"f_{col}", key_text if kind == "string" and col not in words else SQL_TYPES[kind]
            )
            for col, kind in columns.items()
        ),
        *(sa.Column(textsearch.word_array_name(f), postgresql.ARRAY(key_text)) for f in words),
    )


def json_value(element: Any, kind: str) -> sa.ColumnElement[Any]:
    """A JSON path element as a typed SQL value (64-bit integers, floats, booleans, text)."""
    text: sa.ColumnElement[Any] = element.as_string()
    if kind in SQL_TYPES and kind != "string":
        return sa.cast(text, SQL_TYPES[kind])
    return text


class Store:
    """Reads the mirror's catalog through one engine (`load.writer.Writer` writes)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.catalog = catalog_table(sa.MetaData())
        self.layout = layout_table(sa.MetaData())
        # built once: building the statement took a third of the lookup
        self._generation_of = sa.select(
            self.catalog.c.generation, self.catalog.c.last_loaded_at
        ).where(self.catalog.c.stream == sa.bindparam("stream"))
        self._infos: dict[str, StreamInfo] = {}
        self._has_catalog = False

    @classmethod
    def open(cls, url: str, *, writer: bool = False) -> Self:
        """The store of `url` (see `database.open_engine`), its layout checked.

        Raises `DatabaseError`, also for a mirror made by another layout.
        """
        engine = database.open_engine(url, writer=writer)
        try:
            with engine.connect() as conn:
                check_layout(conn)
        except DatabaseError:
            engine.dispose()
            raise
        return cls(engine)

    # reading the catalog

    def has_catalog(self) -> bool:
        """Whether the target has created the catalog (a mirror it is still creating has
        none). Once there, it stays: it is looked up until then."""
        if not self._has_catalog:
            self._has_catalog = sa.inspect(self.engine).has_table(CATALOG)
        return self._has_catalog

    def catalog_rows(self, conn: Connection) -> list[Any]:
        return list(conn.execute(sa.select(self.catalog).order_by(self.catalog.c.stream)))

    def info(self, conn: Connection, stream: str) -> StreamInfo | None:
        """The stream's current layout (cached until its generation changes).

        Every search and `get` asks, so the cached case reads only the generation and the
        load time, with a statement built once. Reading the whole row (its JSON Schema
        too) with a statement built each time took 0.7 ms of a 3.5 ms search on
        PostgreSQL, the transaction's start included; this takes 0.6, most of it the two
        round trips."""
        cached = self._infos.get(stream)
        if cached is not None:
            now = conn.execute(self._generation_of, {"stream": stream}).first()
            if now is None:
                return None
            if now.generation == cached.generation:
                cached.last_loaded_at = now.last_loaded_at
                return cached
        catalog = self.catalog
        row = conn.execute(sa.select(catalog).where(catalog.c.stream == stream)).first()
        if row is None:
            return None
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


def check_layout(conn: Connection) -> None:
    """Refuse a mirror made by another layout: one with a catalog but no `mirror_layout`
    (made before the layout had a version), or with another version in it. An empty
    database (no catalog yet) passes."""
    tables = sa.inspect(conn)
    if not tables.has_table(CATALOG):
        return
    version = None
    if tables.has_table(LAYOUT_TABLE):
        version = conn.execute(sa.select(layout_table(sa.MetaData()).c.version)).scalar()
    if version in READS.get(conn.dialect.name, {LAYOUT}):
        return
    url = database.masked(conn.engine.url)
    if version is not None and version > LAYOUT:
        cause = (
            f"this mirror was made by a later version of tap-pinterest (layout {version}, "
            f"this one reads layout {LAYOUT})"
        )
        raise DatabaseError(url, cause, f"upgrade tap-pinterest, or {REBUILD}")
    raise DatabaseError(url, "this mirror was made by an earlier layout", REBUILD)
