"""Text search: the word index of the indexed text fields and the SQL of `fuzzy` and
`keyword` on them, on SQLite and PostgreSQL (the rest of their differences: `dialects`).

SQLite: an FTS5 word index, which yields its matches in `_rowid` order. PostgreSQL: per
field, the field's ASCII words as a text array (`w_<field>`, made by the loader with
`ascii_words`) under a GIN index, which finds the candidates of ASCII words, and a word
regex that decides. Other words, and `like`, read the table.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine

#: SQLite: how many FTS5 segments of one level wait before they are merged into one of
#: the next (FTS5's default is 4). Fewer merges: 10,000,000 pins loaded 8% faster (three
#: runs against two) and searched no slower (docs/performance.md, "Ten million pins").
FTS_AUTOMERGE = 16


def fts_name(table_name: str) -> str:
    return f"{table_name}__fts"


def create_text_index(
    conn: Connection, table_name: str, fields: list[str], *, new_table: bool = False
) -> None:
    """(Re)create the text index over the promoted text columns `f_<field>`.

    SQLite: an FTS5 word index (unicode61, case-folded; its segments merged
    `FTS_AUTOMERGE` at a time), kept in step by a trigger on
    delete and by `load.staging.StagedUpsert` on insert and update.
    PostgreSQL: per field, a GIN index of its word array `w_<field>` (the prefilter of
    `fuzzy` and `keyword`); a field a table gains gets its array column, filled from the
    rows it has (`add_word_arrays`). A `new_table`'s GIN indexes are built after its
    first load (`load.indexing`).
    """
    drop_text_index(conn, table_name)
    if not fields:
        return
    if conn.dialect.name == "postgresql":
        add_word_arrays(conn, table_name, fields, new_table=new_table)
        return
    cols = [f"f_{name}" for name in fields]
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
    conn.exec_driver_sql(
        f"INSERT INTO {fts}({fts}, rank) VALUES ('automerge', ?)",  # noqa: S608
        (FTS_AUTOMERGE,),
    )
    conn.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608


#: Bytes to words: ASCII letters lower-cased, digits kept, every other byte a space.
_WORD_BYTES = bytes(
    c | 0x20 if 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A else c if 0x30 <= c <= 0x39 else 0x20
    for c in range(256)
)
#: longer words are left to the regex (a GIN entry must fit in a third of a page)
MAX_INDEXED_WORD = 100
_LONG_WORD = re.compile(rb"[a-z0-9]{%d}" % (MAX_INDEXED_WORD + 1))
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def ascii_words(text: str) -> list[str]:
    """PostgreSQL: the words of a text field's array `w_<field>`: each maximal run of
    ASCII letters and digits, lower-cased, once, up to `MAX_INDEXED_WORD` long.

    An ASCII word the regex `_PG_WORD` finds as a whole word has no letter or digit just
    before or after it, in any server locale, so it is such a run: the array holds every
    ASCII word the regex can match (the candidates are a superset; the regex decides).
    Which characters beyond ASCII are letters is up to the server's locale, so words with
    them are not looked up in the array.
    """
    utf8 = text.encode("utf-8", "surrogatepass")  # JSON may carry lone surrogates
    return [word.decode() for word in ascii_words_of_utf8(utf8)]


def ascii_words_of_utf8(data: bytes) -> list[bytes]:
    """`ascii_words` of the UTF-8 text `data`, as bytes: in UTF-8 every byte of a
    character beyond ASCII is 0x80 or more, never a letter or digit, so the words are
    the runs of letters and digits between the other bytes (one `translate` and
    `split`: a regex's findall took three times as long)."""
    return list(dict.fromkeys(_ascii_runs(data)))


def word_array_literal(data: bytes) -> bytes:
    """The array literal (`{a,b}`) of the words of the UTF-8 text `data`, for COPY: the
    words of `ascii_words_of_utf8` in the order they come, a repeated word as often as
    it comes. The GIN index takes each word of an array once, and a search asks whether
    the array contains a word, so the repeats change no answer; leaving them in spares
    the loader a set per field (1.9 of the 3.2 µs of a 150-byte description)."""
    return b"{%b}" % b",".join(_ascii_runs(data))


def _ascii_runs(data: bytes) -> list[bytes]:
    translated = data.translate(_WORD_BYTES)
    words = translated.split()
    if len(data) > MAX_INDEXED_WORD and _LONG_WORD.search(translated):
        return [w for w in words if len(w) <= MAX_INDEXED_WORD]
    return words


def word_array_name(field: str) -> str:
    return f"w_{field}"


def add_word_arrays(
    conn: Connection, table_name: str, fields: list[str], *, new_table: bool = False
) -> None:
    """PostgreSQL: give each text field its word array and the array's GIN index where
    missing (a field a table gains), filling the array of the rows already there as
    `ascii_words` does (lower-cased by `translate`, whatever the server's locale). A
    `new_table` gets its GIN indexes after its first load (`load.indexing`).

    And a BRIN index of `_rowid`: a text scan reads its matches in windows of `_rowid`
    (`query.paging`), and rows lie in the table in about that order, so the index gives
    a window's pages from a summary per 128 pages, where the key's b-tree lists every
    row of the window (224,000 rows of 1M pins: 45 ms from the b-tree on a busy machine,
    4 to 6 ms from BRIN; 3 ms at 10M).
    """
    conn.exec_driver_sql(
        f'CREATE INDEX IF NOT EXISTS "{table_name}__rowid_brin" '
        f'ON "{table_name}" USING brin (_rowid) WITH (autosummarize = on)'
    )
    for name in fields:
        column = word_array_name(name)
        if column not in {c["name"] for c in sa.inspect(conn).get_columns(table_name)}:
            conn.exec_driver_sql(
                f'ALTER TABLE "{table_name}" ADD COLUMN "{column}" text[] COLLATE "C"'
            )
            conn.exec_driver_sql(
                f'UPDATE "{table_name}" SET "{column}" = ARRAY('  # noqa: S608
                f"SELECT DISTINCT translate(m[1], '{_UPPER}', '{_UPPER.lower()}') "
                f"FROM regexp_matches(\"f_{name}\", '[A-Za-z0-9]+', 'g') AS m "
                f'WHERE length(m[1]) <= {MAX_INDEXED_WORD}) WHERE "f_{name}" IS NOT NULL'
            )
        if not new_table:
            conn.exec_driver_sql(word_index_sql(table_name, name)[1])


def word_index_sql(table_name: str, field: str) -> tuple[str, str]:
    """PostgreSQL: the name of a text field's GIN index, and the DDL that creates it if
    it is not there."""
    name = f"{table_name}__words_{field}"
    column = word_array_name(field)
    return name, f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table_name}" USING gin ("{column}")'


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
    #: PostgreSQL: the part of `where` the word index answers (the word array holds the
    #: words), whose row estimate sizes the first window; None where the array cannot
    #: answer (the scan reads the table)
    candidates: sa.ColumnElement[bool] | None = None
    #: PostgreSQL: `where` with the array test in a form no index serves, to read common
    #: words in key order, stopping at the page's last match (`query.paging`)
    in_key_order: sa.ColumnElement[bool] | None = None
    #: PostgreSQL: the rows whose array holds any of the words: the lists a lookup in the
    #: word index reads (`candidates` itself for `keyword`)
    listed: sa.ColumnElement[bool] | None = None


def word_scan(
    dialect: str, table: sa.Table, field: str, words: list[str], *, ordered: bool
) -> TextScan:
    """`word_match` as a scan in `_rowid` order (the filter is that one condition)."""
    if dialect == "postgresql":
        where = word_match(dialect, table, field, words, ordered=ordered)
        array = table.c[word_array_name(field)]
        candidates = _word_prefilter(array, words, ordered=ordered)
        # the GIN index serves the array column, not an expression over it
        unindexed = _word_prefilter(
            sa.func.coalesce(array, sa.literal([], postgresql.ARRAY(sa.Text))),
            words,
            ordered=ordered,
        )
        if candidates is None or unindexed is None:
            return TextScan(table, where, table.c._rowid, windowed=True)
        regex = sa.func.texticregexeq(table.c[f"f_{field}"], _pg_pattern(words, ordered=ordered))
        listed = _word_prefilter(array, words, ordered=False) if ordered else candidates
        return TextScan(
            table,
            where,
            table.c._rowid,
            windowed=True,
            candidates=candidates,
            in_key_order=sa.and_(unindexed, regex),
            listed=listed,
        )
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
        pattern = _pg_pattern(words, ordered=ordered)
        candidates = _word_prefilter(table.c[word_array_name(field)], words, ordered=ordered)
        if candidates is None:
            return column.op("~*")(pattern)
        # `~*` called as its function: the same test, but no index matches it, so the
        # planner cannot pick an index a user added on the column (pg_trgm's, say) over
        # the word array's
        return sa.and_(candidates, sa.func.texticregexeq(column, pattern))
    fts = sa.table(fts_name(table.name), sa.column("rowid"), sa.column(f"f_{field}"))
    hits = sa.select(fts.c.rowid).where(
        fts.c[f"f_{field}"].op("MATCH")(_fts_query(words, ordered=ordered))
    )
    found = table.c._rowid.in_(hits)
    if ordered and len(words) > 1:
        return sa.and_(found, _sqlite_in_order(column, words))
    return found


def _pg_pattern(words: list[str], *, ordered: bool) -> str:
    """PostgreSQL: the regex of `word_match`: all `words` in order, or any of them."""
    if ordered:
        return _in_order(_PG_WORD, words)
    return _PG_WORD.format("(?:" + "|".join(words) + ")")


def _word_prefilter(
    array: sa.ColumnElement[Any], words: list[str], *, ordered: bool
) -> sa.ColumnElement[bool] | None:
    """PostgreSQL: the rows whose word array holds all of `words` (`ordered`) or any of
    them, a superset of the matches (the regex decides); None where the array cannot
    answer: a word beyond ASCII, or longer than `MAX_INDEXED_WORD` (see `ascii_words`)."""
    if not all(w.isascii() and len(w) <= MAX_INDEXED_WORD for w in words):
        return None
    wanted = sa.literal(sorted({w.lower() for w in words}), postgresql.ARRAY(sa.Text))
    return array.op("@>" if ordered else "&&")(wanted)


def _fts_query(words: list[str], *, ordered: bool) -> str:
    return (" AND " if ordered else " OR ").join(f'"{w}"' for w in words)


def _sqlite_in_order(column: sa.ColumnElement[Any], words: list[str]) -> Any:
    return sa.func.mirror_words_in_order(_in_order(_PY_WORD, words), column).is_(True)
