"""PostgreSQL: a batch's upsert streamed with COPY into a temporary staging table.

A batch (`db.types.Batch.copy`, COPY text built by `load.rows.RowEncoder`) goes to the
server with psycopg's `Cursor.copy`: no statement parameters, no per-row driver work,
and the records are parsed into JSONB once, by COPY. One INSERT ... SELECT from the
stage ... ON CONFLICT (_pk) DO UPDATE then writes the stream table (`dialects.upsert`:
a row whose version and record are unchanged is not rewritten), and the stage is
emptied for the next batch.

The stage is a TEMP table of a writer lane's session (`load.lanes`: each keeps one
connection for the whole run), created on its first batch: `_rowid` (reserved by the
target in load order, `Writer.reserve_rowids`; a row that is there already keeps its
own), `_pk`, `_version`, `_record` (JSONB) and `_cells`, the promoted values as one
JSON array, typed by the upsert as `db.store` types them everywhere (`json_value`), and
the text fields' word arrays (`w_<field>`, made by the loader:
`db.textsearch.ascii_words`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from tap_pinterest.mirror.db import dialects, textsearch
from tap_pinterest.mirror.db.store import json_value

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from tap_pinterest.mirror.db.types import Batch, StreamInfo


#: The stage's columns before the word arrays, in the order of a COPY line
#: (`load.rows.RowEncoder`).
STAGED = ("_rowid", "_pk", "_version", "_record", "_cells")


@dataclass
class CopyUpsert:
    """The statements of one stream's COPY upsert (for one generation of its table)."""

    create_stage: Any
    copy: str
    upsert: Any
    clear: str

    @classmethod
    def build(cls, info: StreamInfo) -> CopyUpsert:
        table = info.table
        words = [textsearch.word_array_name(name) for name in info.text_fields]
        stage = sa.Table(
            # per generation: a generation may add text fields, so word arrays to stage
            f"{table.name}__stage{info.generation}",
            sa.MetaData(),
            sa.Column("_rowid", sa.BigInteger),
            sa.Column("_pk", sa.Text),
            sa.Column("_version", sa.BigInteger),
            sa.Column("_record", postgresql.JSONB),
            sa.Column("_cells", postgresql.JSONB),
            *(sa.Column(name, postgresql.ARRAY(sa.Text)) for name in words),
            schema="pg_temp",
        )
        columns: dict[str, sa.ColumnElement[Any]] = {
            "_rowid": stage.c._rowid,
            "_pk": stage.c._pk,
            "_version": stage.c._version,
            "_record": stage.c._record,
        }
        for i, (col, kind) in enumerate(info.columns.items()):
            columns[f"f_{col}"] = json_value(stage.c._cells[i], kind)
        for name in words:
            columns[name] = stage.c[name]
        select = sa.select(*columns.values())
        # identifiers come from `db.store.table_name_for`, restricted to [a-z0-9_]
        qualified = f'pg_temp."{stage.name}"'
        return cls(
            create_stage=sa.schema.CreateTable(stage, if_not_exists=True),
            copy=f"COPY {qualified} ({', '.join([*STAGED, *words])}) FROM STDIN",
            upsert=dialects.upsert("postgresql", table, list(columns), select),
            clear=f"TRUNCATE {qualified}",
        )

    def run(self, conn: Connection, batch: Batch) -> None:
        """Upsert `batch`'s rows, in the caller's transaction."""
        conn.execute(self.create_stage)
        raw: Any = conn.connection.driver_connection  # psycopg's Connection
        with raw.cursor() as cursor, cursor.copy(self.copy) as copy:
            copy.write(batch.copy)
        conn.execute(self.upsert)
        conn.exec_driver_sql(self.clear)
