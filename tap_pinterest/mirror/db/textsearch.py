"""Text search: the word index of the indexed text fields and the SQL of `fuzzy` and
`keyword` on them, on SQLite and PostgreSQL (the rest of their differences: `dialects`).

SQLite: an FTS5 word index, which yields its matches in `_rowid` order. PostgreSQL: a GIN
index of each field's words (a tsvector) that finds the candidates of ASCII words, a
word regex that decides, and pg_trgm's GIN index for `like` and the other words.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine


def fts_name(table_name: str) -> str:
    return f"{table_name}__fts"


def create_text_index(conn: Connection, table_name: str, fields: list[str]) -> None:
    """(Re)create the text index over the promoted text columns `f_<field>`.

    SQLite: an FTS5 word index (unicode61, case-folded), kept in step by a trigger on
    delete and by `load.staging.StagedUpsert` on insert and update.
    PostgreSQL: per column, a GIN word index (`word_vector`, the prefilter of `fuzzy` and
    `keyword`) and a pg_trgm GIN index (serves `like`'s ILIKE, and the word regexes of
    words the word index cannot answer).
    """
    drop_text_index(conn, table_name)
    if not fields:
        return
    cols = [f"f_{name}" for name in fields]
    if conn.dialect.name == "postgresql":
        add_word_indexes(conn, table_name, fields)
        trgm = _trgm_schema(conn)
        for col in cols:
            conn.exec_driver_sql(
                f'CREATE INDEX IF NOT EXISTS "{table_name}__trgm_{col}" '
                f'ON "{table_name}" USING gin ("{col}" {trgm}.gin_trgm_ops)'
            )
        return
    # DDL cannot bind identifiers: `table_name` comes from `db.store.table_name_for` and the
    # columns from the promoted field names, both restricted to [a-z0-9_].
    fts = fts_name(table_name)
    col_list = ", ".join(cols)
    old = ", ".join(f"old.{c}" for c in cols)
    conn.exec_driver_sql(
        f"CREATE VIRTUAL TABLE {fts} USING fts5({col_list}, content='{table_name}', "
        "content_rowid='_rowid', tokenize='unicode61 remove_diacritics 0', detail=column, "
        "columnsize=0)"
    )
    # inserts and updates are indexed by `load.staging.StagedUpsert`, once per batch: a
    # trigger writing FTS5 would make every upsert keep a statement journal
    conn.exec_driver_sql(
        f"CREATE TRIGGER {table_name}__ad AFTER DELETE ON {table_name} BEGIN "  # noqa: S608
        f"INSERT INTO {fts}({fts}, rowid, {col_list}) VALUES ('delete', old._rowid, {old}); END"
    )
    conn.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608


def _trgm_schema(conn: Connection) -> str:
    """The schema of pg_trgm (quoted), created in `public` if missing: not in the URL's
    first schema, which may be one a benchmark or a test drops again."""
    conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    schema = conn.exec_driver_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'"
    ).scalar_one()
    return str(conn.dialect.identifier_preparer.quote_identifier(schema))


def word_vector(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """PostgreSQL: the words of a text as a tsvector, the expression of its word index.

    Every run of non-alphanumerics becomes a space first, so each of our words stands
    alone before the 'simple' parser, which lower-cases what it finds and drops nothing
    (no stop words, no stemming). Constants are inlined: the planner matches a query's
    expression to the index's by its text.
    """
    spaced = sa.func.regexp_replace(
        column,
        sa.literal_column("'[^[:alnum:]]+'"),
        sa.literal_column("' '"),
        sa.literal_column("'g'"),
    )
    return sa.func.to_tsvector(sa.literal_column("'simple'::regconfig"), spaced)


def add_word_indexes(conn: Connection, table_name: str, fields: list[str]) -> None:
    """PostgreSQL: create the word indexes of `fields` that are missing (the fields a
    table gains keep the indexes of those it had)."""
    for name in fields:
        vector = word_vector(sa.column(f"f_{name}")).compile(dialect=conn.dialect)
        conn.exec_driver_sql(
            f'CREATE INDEX IF NOT EXISTS "{table_name}__words_f_{name}" '
            f'ON "{table_name}" USING gin (({vector}))'
        )


def drop_text_index(conn: Connection, table_name: str) -> None:
    if conn.dialect.name == "postgresql":
        return  # per-column GIN indexes are kept; new ones are added
    conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table_name}__ad")
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
    #: read in windows of `_rowid` (`query.paging`): PostgreSQL's word index yields its matches
    #: in no order, so without a window a common word would be read whole and sorted
    windowed: bool = False


def word_scan(
    dialect: str, table: sa.Table, field: str, words: list[str], *, ordered: bool
) -> TextScan:
    """`word_match` as a scan in `_rowid` order (the filter is that one condition)."""
    if dialect == "postgresql":
        where = word_match(dialect, table, field, words, ordered=ordered)
        return TextScan(table, where, table.c._rowid, windowed=True)
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
        pattern = _in_order(_PG_WORD, words) if ordered else any_word
        candidates = _word_prefilter(column, words, ordered=ordered)
        if candidates is None:
            return column.op("~*")(pattern)  # pg_trgm's index serves it
        # `~*` called as its function: the same test, but no index matches it, so the
        # planner does not also read pg_trgm's index, whose (lossy) matches would make it
        # recompute every candidate's word vector
        return sa.and_(candidates, sa.func.texticregexeq(column, pattern))
    fts = sa.table(fts_name(table.name), sa.column("rowid"), sa.column(f"f_{field}"))
    hits = sa.select(fts.c.rowid).where(
        fts.c[f"f_{field}"].op("MATCH")(_fts_query(words, ordered=ordered))
    )
    found = table.c._rowid.in_(hits)
    if ordered and len(words) > 1:
        return sa.and_(found, _sqlite_in_order(column, words))
    return found


#: longer words are left to the regex (to_tsvector drops words over 2047 bytes)
MAX_INDEXED_WORD = 100


def _word_prefilter(
    column: sa.ColumnElement[Any], words: list[str], *, ordered: bool
) -> sa.ColumnElement[bool] | None:
    """PostgreSQL: the rows the word index finds for `words` (a superset of the matches;
    the regex decides), or None where it cannot answer.

    Only ASCII words are looked up: a whole ASCII word stands alone in `word_vector`'s
    text, spaced apart, and the parser reads it as it reads the same word alone. Beyond
    ASCII, which characters are letters, and how they fold case, is up to the server's
    locale and may differ between the parser and the regex. The parser may also cut an
    ASCII word ("1e5x" is '1e5' and 'x'), so each word goes through it too
    (`plainto_tsquery`) and all its parts are required.
    """
    if not all(w.isascii() and len(w) <= MAX_INDEXED_WORD for w in words):
        return None
    simple: sa.ColumnElement[Any] = sa.literal_column("'simple'::regconfig")
    if ordered:
        query: sa.ColumnElement[Any] = sa.func.plainto_tsquery(simple, " ".join(words))
    else:
        # tsquery || tsquery: either; paired up as a balanced tree (a chain of hundreds
        # of words would be as deep as it is long, past the compiler's recursion)
        queries: list[sa.ColumnElement[Any]] = [
            sa.func.plainto_tsquery(simple, word) for word in words
        ]
        while len(queries) > 1:
            pairs = zip(queries[::2], queries[1::2], strict=False)
            paired = [left.op("||")(right) for left, right in pairs]
            queries = paired + queries[len(paired) * 2 :]
        query = queries[0]
    return word_vector(column).op("@@")(query)


def _fts_query(words: list[str], *, ordered: bool) -> str:
    return (" AND " if ordered else " OR ").join(f'"{w}"' for w in words)


def _sqlite_in_order(column: sa.ColumnElement[Any], words: list[str]) -> Any:
    return sa.func.mirror_words_in_order(_in_order(_PY_WORD, words), column).is_(True)
