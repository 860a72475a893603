"""Keyset paging and its opaque cursors.

A page is read after the last row of the previous one: by the sort values, then `_rowid`
(load order: the order the mirror first stored the records, kept across upserts). The
cursor holds those values and a hash of the query it belongs to.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import typing as t
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tap_pinterest.mirror.db import dialects, textsearch
from tap_pinterest.mirror.db.errors import QueryError
from tap_pinterest.mirror.query import limits
from tap_pinterest.mirror.query.limits import shown

if TYPE_CHECKING:
    from tap_pinterest.mirror.db.schema import FieldInfo
    from tap_pinterest.mirror.query.language import Compiler


def page(  # noqa: PLR0917
    conn: Connection,
    compiler: Compiler,
    where: Any,
    sort: list[tuple[FieldInfo, bool]],
    scan: textsearch.TextScan | None,
    after: tuple[list[Any], Any] | None,
    limit: int,
) -> list[Any]:
    """Up to limit+1 rows after the cursor: `(_rowid, record, *sort values)`.

    Ordered by the sort keys then `_rowid`; a text `scan` is read in `_rowid` order from
    its own source (on SQLite the text index, which yields its matches in that order).
    Every sort index ends in `_rowid` (SQLite adds it to every index by itself), so a page
    is one index range.
    """
    table = compiler.info.table
    if scan is not None:
        return _scan_page(conn, table, scan, None if after is None else after[1], limit)
    rowid = table.c._rowid
    exprs = [(compiler.root.value_of(f), desc) for f, desc in sort]
    # a sort ending on the unique key (`Compiler.sort` puts nothing after it) orders every
    # row: it needs no tie-break
    keyed = bool(exprs) and exprs[-1][0] is table.c._pk
    keys = exprs if keyed else [*exprs, (rowid, exprs[-1][1] if exprs else False)]
    order = [dialects.ordering(e, descending=d) for e, d in keys]
    base = sa.select(rowid, table.c._record, *(e for e, _ in exprs)).where(where).order_by(*order)
    if after is None:
        return list(conn.execute(base.limit(limit + 1)))
    values, last_rowid = after
    if keyed:
        return list(conn.execute(base.where(_after(keys, values)).limit(limit + 1)))
    if len(exprs) == 1:
        return _page_single_key(conn, base, exprs[0], rowid, values[0], last_rowid, limit)
    return list(conn.execute(base.where(_after(keys, [*values, last_rowid])).limit(limit + 1)))


#: `_rowid`s the first window of a windowed text scan spans where the words have no
#: estimate (beyond ASCII: not in the word array)
FIRST_WINDOW = 32_768
#: the least and the most `_rowid`s a first window sized from an estimate spans
MIN_FIRST_WINDOW = 1_024
MAX_FIRST_WINDOW = 8 * FIRST_WINDOW
#: the first window is sized to hold this many times the matches a page needs, at the
#: density the planner estimates for the word index's candidates (an estimate that
#: assumes the words independent, and ignores their order, is often off by 2x; for
#: words that go together it is far too low, hence the upper bound: every candidate in
#: a window is read)
HEADROOM = 4
#: where the word index lists at most this many pages of rows in all, one lookup reads
#: them all, without windows
FEW_LISTED = 4
#: A first window of at most this many rows may be read in key order, without the word
#: index, where that costs less. A lookup in the index reads its words' whole lists and
#: builds a bitmap of the rows it finds: at 10M pins, 33 ms for two title words listing
#: 860,000 rows (8,000 holding both), 104 ms for two description words listing 115,784
#: rows (either will do). Reading rows in order stops at the page's last match, about
#: 1.5 µs a row passed (12 ms for a page of words in 1% of the rows). In units of a row
#: listed: a row passed costs KEY_ORDER_COST, a row found RESULT_COST (rough fits to
#: these figures, at 1M and 10M pins).
KEY_ORDER_WINDOW = 65_536
KEY_ORDER_COST = 32
RESULT_COST = 10


def _scan_page(
    conn: Connection, table: sa.Table, scan: textsearch.TextScan, last_rowid: int | None, limit: int
) -> list[Any]:
    """Up to limit+1 matches of a text `scan` after `last_rowid`, in `_rowid` order.

    A windowed scan reads at most three ranges of `_rowid`: a first window sized from
    the estimated density of matches, then one sized from the matches it found (twice
    what should hold the rest of the page), then everything after. Each window asks the
    word index for its words' whole lists, whose length grows with the table, so a page
    takes one or two windows where it can; a window that would span half of the rows
    left, or the estimate of a rare word, reads everything after at once instead. A
    small first window (common words) reads rows in key order, without the word index,
    where that costs less (`KEY_ORDER_WINDOW`, `KEY_ORDER_COST`).
    """
    select = sa.select(scan.rowid, table.c._record).select_from(scan.source)
    stmt = select.where(scan.where).order_by(scan.rowid)
    rows: list[Any] = []
    low = last_rowid or 0
    start = _first_window(conn, table, scan, low, limit) if scan.windowed else _Window(0, None)
    top, window = start.top, start.span
    first = stmt
    if start.key_order and scan.in_key_order is not None:
        first = select.where(scan.in_key_order).order_by(scan.rowid)
    for windows_left in (2, 1, 0):
        part = stmt.where(scan.rowid > low) if low else stmt
        if window is None or not windows_left or 2 * window >= top - low:
            rows.extend(conn.execute(part.limit(limit + 1 - len(rows))))
            break
        if windows_left == 2:  # the first window: bounded, so it may read in key order
            part = first.where(scan.rowid > low) if low else first
        high = low + window
        found = conn.execute(part.where(scan.rowid <= high).limit(limit + 1 - len(rows))).all()
        rows.extend(found)
        if len(rows) > limit:
            break
        # the next window holds, at the density seen, twice what the page still lacks
        window = math.ceil(2 * (limit + 1 - len(rows)) * window / len(found)) if found else None
        low = high
    return rows


@dataclass
class _Window:
    """How a windowed scan starts: the table's highest `_rowid`, the first window's
    span (None: read the rest at once) and whether it reads in key order."""

    top: int
    span: int | None
    key_order: bool = False


def _first_window(
    conn: Connection, table: sa.Table, scan: textsearch.TextScan, low: int, limit: int
) -> _Window:
    """The first window of a windowed scan after `low`."""
    top = conn.execute(sa.select(sa.func.max(table.c._rowid))).scalar()
    if top is None or top <= low:
        return _Window(0, None)
    if scan.candidates is None or scan.listed is None:
        return _Window(top, FIRST_WINDOW)
    found = dialects.estimated_rows(conn, table, scan.candidates)
    listed = found
    if scan.listed is not scan.candidates:
        listed = max(found, dialects.estimated_rows(conn, table, scan.listed))
    if found <= 0 or listed <= FEW_LISTED * (limit + 1):
        # the index lists few rows (a rare word, or none): one lookup reads them all
        return _Window(top, None)
    density = found / top
    span = min(max(MIN_FIRST_WINDOW, math.ceil(HEADROOM * (limit + 1) / density)), MAX_FIRST_WINDOW)
    if span > KEY_ORDER_WINDOW or scan.in_key_order is None:
        return _Window(top, span)
    # reading in key order costs the rows it passes before the page's last match; the
    # word index, the length of its words' lists and the rows it finds
    passed = (limit + 1) / density
    return _Window(top, span, key_order=passed * KEY_ORDER_COST < listed + RESULT_COST * found)


def _page_single_key(  # noqa: PLR0917
    conn: Connection,
    base: sa.Select[Any],
    key: tuple[Any, bool],
    rowid: Any,
    value: Any,
    last_rowid: int,
    limit: int,
) -> list[Any]:
    """Keyset paging on one sort key: NULLs sort first ascending, last descending.

    Each segment (non-NULL values, NULLs) is paged with an index-friendly row comparison.
    """
    column, desc = key
    segments: list[Any]
    if value is None:
        rest = column.is_(None) & ((rowid < last_rowid) if desc else (rowid > last_rowid))
        segments = [rest] if desc else [rest, column.is_not(None)]
    else:
        row = sa.tuple_(column, rowid)
        rest = (
            row < sa.tuple_(sa.literal(value), sa.literal(last_rowid))
            if desc
            else row > (sa.tuple_(sa.literal(value), sa.literal(last_rowid)))
        )
        segments = [rest, column.is_(None)] if desc else [rest]
    rows: list[Any] = []
    for segment in segments:
        rows.extend(conn.execute(base.where(segment).limit(limit + 1 - len(rows))))
        if len(rows) > limit:
            break
    return rows


def _after(keys: list[tuple[Any, bool]], values: list[Any]) -> Any:
    """Rows strictly after `values` in the (NULL-smallest) order of `keys`."""
    terms = []
    for i, (column, desc) in enumerate(keys):
        value = values[i] if values[i] is None else sa.literal(values[i])
        equal = [
            c.is_(None) if v is None else c == sa.literal(v)
            for (c, _), v in zip(keys[:i], values[:i], strict=True)
        ]
        if value is None:
            beyond = column.is_not(None) if not desc else sa.false()
        elif desc and dialects.nullable(column):
            beyond = sa.or_(column < value, column.is_(None))
        else:
            beyond = column < value if desc else column > value
        terms.append(sa.and_(*equal, beyond))
    return sa.or_(*terms)


# cursors


def query_hash(entity: str, query: dict[str, Any]) -> str:
    text = json.dumps([entity, query.get("filter"), query.get("sort")], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Cursor(msgspec.Struct, forbid_unknown_fields=True):
    """A cursor's payload: the query's hash, the last row's sort values and `_rowid`."""

    q: str
    v: list[str | int | float | bool | None]
    k: t.Annotated[int, msgspec.Meta(ge=0, le=limits.INTEGER_MAX)]


#: The Python types of a sort value, by the field's kind (None: any scalar).
_KINDS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


def encode_cursor(token: str, values: list[Any], key: int) -> str:
    # ASCII JSON: the cursor is opaque, and must encode whatever text the row holds
    raw = dialects.dumps({"q": token, "v": values, "k": key}, ascii_only=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(
    cursor: object, token: str, kinds: list[str], dialect: str
) -> tuple[list[Any], int]:
    """The sort values and the `_rowid` of a cursor's last row.

    `kinds` are those of the sort fields: a cursor whose values do not fit them (or that
    the database could not have written) does not belong to this query.
    """
    bad = QueryError(
        f"Malformed cursor {shown(cursor)}: pass meta.cursor from the previous page of the "
        "same query.",
        "invalid_cursor",
    )
    if not isinstance(cursor, str):
        raise bad
    if len(cursor) > limits.CURSOR_CHARS:
        what = f"Malformed cursor: it is {len(cursor)} characters long"
        raise limits.exceeded("cursor_chars", what, "invalid_cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = msgspec.convert(json.loads(raw), Cursor)
    except (ValueError, UnicodeDecodeError, RecursionError, msgspec.ValidationError) as exc:
        raise bad from exc
    foreign = QueryError(
        "The cursor belongs to a different query (entity, filter or sort changed): pass "
        "meta.cursor from the previous page of this query.",
        "invalid_cursor",
    )
    if decoded.q != token or len(decoded.v) != len(kinds):
        raise foreign
    for value, kind in zip(decoded.v, kinds, strict=True):
        if value is None:
            continue
        types = _KINDS.get(kind)
        wrong_type = types is not None and (
            not isinstance(value, types) or (isinstance(value, bool) and kind != "boolean")
        )
        # NUL: text on PostgreSQL holds none, so no row there could have written it
        nul = dialect == "postgresql" and isinstance(value, str) and "\x00" in value
        try:
            if isinstance(value, str):
                value.encode("utf-8")
            limits.check_scalar(value, "a cursor value")
        except (QueryError, UnicodeEncodeError):
            raise foreign from None
        if wrong_type or nul:
            raise foreign
    return decoded.v, decoded.k
