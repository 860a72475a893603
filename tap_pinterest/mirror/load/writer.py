"""`Writer`: the store as the target writes it. Creates a stream's table, evolves it as
its schema gains fields, upserts batches and deletes what a full sync no longer returned.

The tables' layout is `db.store`'s; on SQLite a batch goes through a staging table
(`staging`), on PostgreSQL through COPY into a staging table (`pgcopy`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tap_pinterest.mirror.db import dialects, textsearch
from tap_pinterest.mirror.db.schema import (
    UNDECLARED,
    field_codes,
    is_indexed,
    merge_schemas,
    promoted_columns,
    text_fields,
)
from tap_pinterest.mirror.db.store import (
    CATALOG,
    LAYOUT,
    Store,
    json_value,
    stream_table,
    table_name_for,
)
from tap_pinterest.mirror.db.types import Batch, StreamInfo
from tap_pinterest.mirror.load import indexing
from tap_pinterest.mirror.load.pgcopy import CopyUpsert
from tap_pinterest.mirror.load.scope import Scope
from tap_pinterest.mirror.load.staging import StagedUpsert

#: The most values of an ACTIVATE_VERSION's scope one DELETE names.
IN_CHUNK = 500
#: PostgreSQL: the `_rowid`s a target takes from a table's sequence at once.
ROWID_BLOCK = 100_000


class Writer(Store):
    """Writes the mirror's tables through one engine."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._statements: dict[str, tuple[int, StagedUpsert | CopyUpsert]] = {}
        self._rowids: dict[str, range] = {}  # table -> its unused reserved `_rowid`s

    def ensure_stream(
        self, stream: str, schema: dict[str, Any], key_properties: list[str]
    ) -> StreamInfo:
        """Create the stream's table, or evolve it to a schema that gained fields."""
        if not key_properties:
            msg = f"Stream {stream!r} has no key_properties: the mirror upserts on the key."
            raise ValueError(msg)
        with self.engine.begin() as conn:
            if not sa.inspect(conn).has_table(CATALOG):  # a new mirror
                self.catalog.create(conn)
                self.layout.create(conn)
                conn.execute(sa.insert(self.layout).values(version=LAYOUT))
            current = self.info(conn, stream)
            if current is None:
                return self._create(conn, stream, schema, key_properties)
            if current.key_properties != list(key_properties):
                msg = (
                    f"Stream {stream!r} changed its key from {current.key_properties} to "
                    f"{list(key_properties)}; drop the mirror's table {current.table.name} first."
                )
                raise ValueError(msg)
            return self._evolve(conn, current, merge_schemas(current.schema, schema))

    def _create(
        self, conn: Connection, stream: str, schema: dict[str, Any], keys: list[str]
    ) -> StreamInfo:
        columns = promoted_columns(schema, keys)
        name = table_name_for(stream)
        table = stream_table(name, columns, sa.MetaData(), self.dialect)
        table.create(conn)
        # PostgreSQL builds a new table's search indexes after its first load (`indexing`)
        if self.dialect != "postgresql":
            for col in columns:
                self._index(conn, table, col, keys)
        textsearch.create_text_index(conn, name, text_fields(columns), new_table=True)
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
        codes = field_codes(schema)
        for name in codes.keys() - info.codes.keys():
            # old rows may carry a field the schema now declares (additionalProperties),
            # stored under its name: key it by its code now
            stored_as, code = UNDECLARED + name, codes[name]
            doc = table.c._record
            conn.execute(
                sa.update(table)
                .where(dialects.has_key(self.dialect, doc, stored_as))
                .values(_record=dialects.rename_key(self.dialect, doc, stored_as, code))
            )
        for col, kind in added.items():
            column = table.c[f"f_{col}"]
            type_sql = column.type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(
                f"ALTER TABLE {prep.quote(table.name)} ADD COLUMN {prep.quote(column.name)} "
                f"{type_sql}"
            )
            # old rows may already carry the field: copy it over
            conn.execute(
                sa.update(table).values({column: json_value(table.c._record[(codes[col],)], kind)})
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
        if is_indexed(col, keys):
            indexing.btree(self.dialect, table, col).create(conn)

    def upsert(self, conn: Connection, info: StreamInfo, batch: Batch) -> None:
        """Insert or update a batch's rows (unique by pk) and delete its deleted keys, in
        the caller's transaction (which `touch`es the stream before it commits)."""
        if batch.rows != b"[]" or batch.copy:
            self._upsert_statement(info).run(conn, batch)
        for start in range(0, len(batch.deleted), 500):
            chunk = batch.deleted[start : start + 500]
            conn.execute(sa.delete(info.table).where(info.table.c._pk.in_(chunk)))

    def reserve_rowids(self, info: StreamInfo, count: int) -> range:
        """PostgreSQL: `count` new `_rowid`s for a batch, in increasing order.

        The target reserves them for each batch as it reads it, so rows keep their load
        order although several lanes write them (`load.lanes`); a row that is there
        already keeps its own, and its number goes unused. They come from a block of at
        least `ROWID_BLOCK` numbers taken from the table's sequence at once: other targets
        loading the same table take theirs under the same lock, so no number is handed
        out twice, and a batch costs no round trip (a reservation per batch kept the
        target waiting 36 ms a batch on a busy server).
        """
        block = self._rowids.get(info.table.name, range(0))
        if len(block) < count:
            block = self._reserve_block(info, max(count, ROWID_BLOCK))
        self._rowids[info.table.name] = block[count:]
        return block[:count]

    def _reserve_block(self, info: StreamInfo, size: int) -> range:
        with self.engine.begin() as conn:
            sequence = conn.execute(
                sa.select(sa.func.pg_get_serial_sequence(f'"{info.table.name}"', "_rowid"))
            ).scalar_one()
            # held until this transaction ends: the block's numbers are taken as one
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(sequence))))
            last = conn.execute(
                sa.text(
                    "SELECT setval(CAST(:sequence AS regclass), "
                    "nextval(CAST(:sequence AS regclass)) + :size - 1)"
                ),
                {"sequence": sequence, "size": size},
            ).scalar_one()
        return range(last - size + 1, last + 1)

    def _upsert_statement(self, info: StreamInfo) -> StagedUpsert | CopyUpsert:
        """PostgreSQL: COPY into a staging table, then INSERT ... SELECT ... ON CONFLICT
        (_pk) DO UPDATE (`CopyUpsert`). SQLite: the same through a staging table filled
        from the batch's JSON (`StagedUpsert`)."""
        cached = self._statements.get(info.name)
        if cached is not None and cached[0] == info.generation:
            return cached[1]
        if self.dialect == "postgresql":
            copy = CopyUpsert.build(info)
            self._statements[info.name] = (info.generation, copy)
            return copy
        elements, record = dialects.batch_elements()
        value = elements.c.value
        columns = {
            "_pk": json_value(value[0], "string"),
            "_version": json_value(value[1], "integer"),
            "_record": record,
        }
        for i, (col, kind) in enumerate(info.columns.items(), start=4):
            columns[f"f_{col}"] = json_value(value[i], kind)
        stmt = StagedUpsert.build(info, columns, elements)
        self._statements[info.name] = (info.generation, stmt)
        return stmt

    def activate_version(self, info: StreamInfo, version: int, scope: Scope | None = None) -> int:
        """Delete the rows a full sync of `version` did not write; return how many.

        With a `scope` (`load.scope`) the sync covered only the rows whose fields hold one
        of its values: only those are deleted (in chunks of `IN_CHUNK` values)."""
        table = info.table
        older = sa.or_(table.c._version < version, table.c._version.is_(None))
        conditions: list[list[sa.ColumnElement[bool]]] = [[]]
        for field, values in (scope or {}).items():
            # the values are text: a promoted text column (indexed), else the JSON value as text
            if info.columns.get(field) == "string":
                column: sa.ColumnElement[Any] = table.c[f"f_{field}"]
            else:
                path = info.stored_path((field,))  # the record is stored compact
                column = sa.cast(json_value(table.c._record[path], "string"), sa.Text)
            chunks = [values[i : i + IN_CHUNK] for i in range(0, len(values), IN_CHUNK)]
            conditions = [[*c, column.in_(chunk)] for c in conditions for chunk in chunks or [[]]]
        deleted = 0
        with self.engine.begin() as conn:
            for where in conditions:
                result = conn.execute(sa.delete(table).where(older, *where))
                deleted += int(result.rowcount or 0)
            self.touch(conn, [info])
        return deleted

    def maintenance(self, info: StreamInfo, lanes: int) -> list[list[list[Any]]]:
        """What to run on the stream's table after a load, in steps, each step's groups
        at once on up to `lanes` connections: the search indexes it lacks
        (`indexing.builds`), then the planner's statistics and the indexes' pending
        entries (`dialects.maintenance`)."""
        with self.engine.connect() as conn:
            steps = [
                indexing.builds(conn, info, lanes),
                dialects.maintenance(conn, info.table.name),
            ]
        return [step for step in steps if step]

    def missing_indexes(self, info: StreamInfo) -> list[str]:
        """PostgreSQL: the search indexes the stream's table lacks (`indexing`); SQLite
        creates them with the table."""
        if self.dialect != "postgresql":
            return []
        with self.engine.connect() as conn:
            return indexing.missing(conn, info)

    def touch(self, conn: Connection, infos: list[StreamInfo]) -> None:
        """Record that the streams were loaded now, in the caller's transaction (in the
        order given: writers that touch several streams must lock them in one order)."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for info in infos:
            conn.execute(
                sa.update(self.catalog)
                .where(self.catalog.c.stream == info.name)
                .values(last_loaded_at=now)
            )
