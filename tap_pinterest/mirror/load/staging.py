"""SQLite: a batch's upsert through a staging table, so no statement holds a journal.

Inside a transaction SQLite keeps a statement journal for a statement that writes many
rows and may abort half-way: a copy of every existing page the statement changes, so
that it can undo the statement alone. With `temp_store=MEMORY` that copy is in memory,
and as the random-order indexes (`created_at`, `board_id`) grow, a batch touches more
of their pages: the writer's peak memory grew with the table (7 MB per 100,000 pins).

Three things made the upsert such a statement, and each is gone on SQLite:

- reading the batch from `json_each` (a virtual table) in the INSERT itself: the batch
  is first copied into a TEMP staging table, and the upsert reads that (the copy still
  keeps a journal, but of the stage's own pages: bounded by the batch, not the table);
- NOT NULL columns (the DO UPDATE part checks them with ABORT): the stream tables on
  SQLite declare none (`_pk` and `_record` are always set by the target);
- the FTS5 triggers on insert and update (a write to a virtual table may abort): the
  text index is kept in step by the statements below, once per batch. The trigger on
  DELETE stays: a delete's journal holds only the pages of the rows it removes.

Keep it so: the upsert reads plain columns of the stage and calls no SQL function (a
function may raise half-way, and one call, `substr` or `upper`, brings the journal
back; CAST does not). `tests/mirror/test_staging.py` measures it.

Per batch: fill the stage (each row with the `_rowid` of the row it replaces, if any);
for replaced rows whose text changes, delete their old words and add the new; upsert
from the stage; add the words of the rows the upsert inserted (their `_rowid`s are above
the table's largest before it, as SQLite hands out `max(_rowid) + 1`); empty the stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from tap_pinterest.mirror.db import dialects, textsearch

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from tap_pinterest.mirror.db.types import Batch, StreamInfo


@dataclass
class TextIndexing:
    """The FTS5 statements of a staged upsert (for a table with text fields)."""

    unindex_replaced: sa.TextClause
    index_replaced: sa.TextClause
    index_inserted: sa.TextClause

    @classmethod
    def build(cls, table_name: str, stage_name: str, fields: list[str]) -> TextIndexing:
        # identifiers come from `db.store.table_name_for` and the promoted field names, both
        # restricted to [a-z0-9_]; the one value, `before`, is bound
        fts = textsearch.fts_name(table_name)
        cols = [f"f_{name}" for name in fields]
        listed = ", ".join(cols)
        old = ", ".join(f"t.{c}" for c in cols)
        new = ", ".join(f"s.{c}" for c in cols)
        text_changed = " OR ".join(f"t.{c} IS NOT s.{c}" for c in cols)
        replaced = (
            f"FROM temp.{stage_name} AS s JOIN {table_name} AS t ON t._rowid = s._replaces "
            f"WHERE {text_changed}"
        )
        return cls(
            unindex_replaced=sa.text(
                f"INSERT INTO {fts}({fts}, rowid, {listed}) "
                f"SELECT 'delete', t._rowid, {old} {replaced}"
            ),
            index_replaced=sa.text(
                f"INSERT INTO {fts}(rowid, {listed}) SELECT s._replaces, {new} {replaced}"
            ),
            index_inserted=sa.text(
                f"INSERT INTO {fts}(rowid, {listed}) "  # noqa: S608
                f"SELECT _rowid, {listed} FROM {table_name} WHERE _rowid > :before"
            ),
        )


@dataclass
class StagedUpsert:
    """The statements of one stream's staged upsert (for one generation of its table)."""

    create_stage: Any
    fill: Any
    any_replaced: Any
    upsert: Any
    last_rowid: Any
    clear: Any
    text: TextIndexing | None

    @classmethod
    def build(
        cls, info: StreamInfo, columns: dict[str, sa.ColumnElement[Any]], source: Any
    ) -> StagedUpsert:
        """`columns`: the table's columns (`_pk`, `_version`, `_record`, `f_...`) as
        expressions over `source`, the batch's rows."""
        table = info.table
        stage = sa.Table(
            f"{table.name}__stage_{info.generation}",
            sa.MetaData(),
            sa.Column("_replaces", sa.Integer),
            *(sa.Column(name, table.c[name].type) for name in columns),
            schema="temp",
        )
        replaces = sa.select(table.c._rowid).where(table.c._pk == columns["_pk"])
        fill = stage.insert().from_select(
            ["_replaces", *columns],
            sa.select(replaces.scalar_subquery(), *columns.values()).select_from(source),
        )
        staged = sa.select(*(stage.c[name] for name in columns)).where(sa.true())
        return cls(
            create_stage=sa.schema.CreateTable(stage, if_not_exists=True),
            fill=fill,
            any_replaced=sa.select(sa.exists().where(stage.c._replaces.is_not(None))),
            upsert=dialects.upsert("sqlite", table, list(columns), staged),
            last_rowid=sa.select(sa.func.coalesce(sa.func.max(table.c._rowid), 0)),
            clear=stage.delete(),
            text=TextIndexing.build(table.name, stage.name, info.text_fields)
            if info.text_fields
            else None,
        )

    def run(self, conn: Connection, batch: Batch) -> None:
        """Upsert `batch`'s rows, in the caller's transaction."""
        conn.execute(self.create_stage)
        conn.execute(self.fill, {"rows": batch.rows, "records": batch.records})
        text = self.text
        if text is not None and conn.execute(self.any_replaced).scalar():
            conn.execute(text.unindex_replaced)  # the old words, while the rows hold them
            conn.execute(text.index_replaced)
        before = conn.execute(self.last_rowid).scalar_one()
        conn.execute(self.upsert)
        if text is not None:
            conn.execute(text.index_inserted, {"before": before})
        conn.execute(self.clear)
