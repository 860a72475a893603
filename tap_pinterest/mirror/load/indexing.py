"""PostgreSQL: a new stream table's search indexes are built after its first load.

Every index of a table takes an entry per row as the rows come in. Built at once from
the loaded rows instead, an index costs less: 100,000 board pins took 6.3 to 6.8 s to
insert into a table with all its indexes, 2.0 s into one with only the key's two (the
`_rowid` primary key and the unique `_pk` the upsert needs), and 2.4 s to build the
other six afterwards (the b-tree of each indexed field, the GIN index of each word array:
`db.textsearch.word_index_sql`). On SQLite nothing is deferred.

So on PostgreSQL a table the target creates gets the key's indexes and the BRIN summary
of `_rowid` only, and `builds` makes the others at the end of the load, before the
statistics (`Writer.maintenance`), as at the end of any later load that finds one
missing (a first load that was stopped, or one whose build had to give way). Until they
are there, a search on those fields gives the same answers, read from the table: slower
on a big table.

A build holds a SHARE lock on the table, which no other load can write through: it
waits for the transactions other loads have open on it (shards loading the same stream)
and holds off their writes while it runs. It waits at most `LOCK_WAIT_MS` for the lock,
then leaves the indexes to the next load that ends (another target's lane may keep its
transaction open until its own work goes on: waiting for it longer could wait forever).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from tap_pinterest.mirror.db import dialects, textsearch
from tap_pinterest.mirror.db.schema import is_indexed

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from tap_pinterest.mirror.db.types import StreamInfo

#: How long a build waits for the table's lock before leaving it to a later load.
LOCK_WAIT_MS = 5000


def btree(dialect: str, table: sa.Table, field: str) -> sa.Index:
    """The b-tree of an indexed promoted field: (`f_<field>`, `_rowid`), a sorted page's
    order (`dialects.sort_index_columns`)."""
    column = table.c[f"f_{field}"]
    columns = dialects.sort_index_columns(dialect, column, table.c._rowid)
    return sa.Index(f"{table.name}__{field}", *columns)


def search_indexes(conn: Connection, info: StreamInfo) -> dict[str, str]:
    """The stream table's search indexes, by name, with the DDL that creates each (if it
    is not there): its fields' b-trees, then (PostgreSQL) its word arrays' GIN indexes."""
    table = info.table
    out: dict[str, str] = {}
    for field in info.columns:
        if is_indexed(field, info.key_properties):
            index = btree(conn.dialect.name, table, field)
            create = sa.schema.CreateIndex(index, if_not_exists=True)
            out[str(index.name)] = str(create.compile(dialect=conn.dialect))
    if conn.dialect.name == "postgresql":
        for field in info.text_fields:
            name, ddl = textsearch.word_index_sql(table.name, field)
            out[name] = ddl
    return out


def missing(conn: Connection, info: StreamInfo) -> list[str]:
    """The names of the search indexes the stream's table does not have yet."""
    have = {index["name"] for index in sa.inspect(conn).get_indexes(info.table.name)}
    return [name for name in search_indexes(conn, info) if name not in have]


def builds(conn: Connection, info: StreamInfo, lanes: int) -> list[list[Any]]:
    """PostgreSQL: the statements that build the stream table's missing search indexes,
    as up to `lanes` groups that run at once (`WriteLanes.run_groups`), each one
    statement. Each index goes to the group with the least work so far, the longest
    first (a GIN index: a text field's words take longer than a field's b-tree; at 1M
    pins, 12.1 s for the description's and 3.4 s for the title's, against 1.6 to 2.2 s
    for each b-tree). A group that cannot take the table's lock within `LOCK_WAIT_MS`
    builds nothing; nor does one that finds another load building the same index."""
    if conn.dialect.name != "postgresql":
        return []
    ddl = search_indexes(conn, info)
    shares: list[list[str]] = [[] for _ in range(max(1, lanes))]
    work = [0] * len(shares)
    for name in sorted(missing(conn, info), key=_work, reverse=True):
        least = work.index(min(work))
        shares[least].append(name)
        work[least] += _work(name)
    shares = [share for share in shares if share]
    # identifiers come from `db.store.table_name_for` and the promoted field names, both
    # restricted to [a-z0-9_]
    lock = f'LOCK TABLE "{info.table.name}" IN SHARE MODE'
    return [
        [
            sa.text(
                "DO $build$ BEGIN "
                f"PERFORM set_config('lock_timeout', '{LOCK_WAIT_MS}', true); {lock}; "
                f"PERFORM set_config('lock_timeout', '0', true); "
                + "".join(f"{ddl[name]}; " for name in share)
                + "EXCEPTION WHEN lock_not_available OR unique_violation OR duplicate_table "
                "THEN NULL; END $build$"
            )
        ]
        for share in shares
    ]


def _work(name: str) -> int:
    """An index's build, in b-tree builds: a word array's GIN index counts two."""
    return 2 if "__words_" in name else 1
