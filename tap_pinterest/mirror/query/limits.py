"""The limits of one request to the mirror, declared once, and the values it refuses.

Every limit is what both databases can answer within: past one, the query is refused
with a `QueryError` (problem `limit_exceeded`) that names the limit and its value, before
any SQL runs. SQLite is the tighter of the two: its parser runs out of stack at about 27
nested `not` (each is `NOT coalesce(...)`), and it refuses an expression more than
1,000 terms deep (a chain of `and`/`or`) and a LIKE pattern over 50,000 bytes.
PostgreSQL cannot hold NUL in text. `docs/mirror.md` lists the limits with their values
(a test checks it against `LIMITS`).
"""

from __future__ import annotations

import math
import reprlib
from typing import Any

from tap_pinterest.mirror.db.errors import QueryError

#: Levels of conditions in a filter: a lone condition is 1, each `and`, `or`, `not` and
#: `any` around it one more.
FILTER_DEPTH = 16
#: Conditions in a filter: each operator, and each field a comparison tests.
FILTER_CONDITIONS = 256
#: Values in a filter, each value of an `in` list counted (PostgreSQL's driver binds at
#: most 65,535 parameters per statement).
FILTER_VALUES = 10_000
#: Values in one `in` list.
IN_VALUES = 1000
#: Characters in a `like` pattern and in a `fuzzy` or `keyword` text.
PATTERN_CHARS = 1000
#: Fields in a sort.
SORT_FIELDS = 8
#: Records in one page (`limit` runs from 1 to this; it is also the default).
PAGE_SIZE = 1000
#: Characters in a cursor.
CURSOR_CHARS = 4096
#: Bytes in the body of `POST /execute`.
BODY_BYTES = 1024 * 1024
#: Levels of JSON nesting in a request body (or a `--query` on the command line).
BODY_DEPTH = 64
#: The integers a query may hold: the 64-bit range both databases store.
INTEGER_MIN = -(2**63)
INTEGER_MAX = 2**63 - 1
#: How long one search may run, in milliseconds (`Mirror(timeout_ms=...)`).
QUERY_TIMEOUT_MS = 10_000

#: Every limit by the name its error and the docs give it: (value, what it bounds).
LIMITS: dict[str, tuple[int, str]] = {
    "filter_depth": (FILTER_DEPTH, "levels of nested conditions in a filter"),
    "filter_conditions": (FILTER_CONDITIONS, "conditions in a filter"),
    "filter_values": (FILTER_VALUES, "values in a filter, `in` lists included"),
    "in_values": (IN_VALUES, "values in one `in` list"),
    "pattern_chars": (PATTERN_CHARS, "characters in a `like`, `fuzzy` or `keyword` text"),
    "sort_fields": (SORT_FIELDS, "fields in a sort"),
    "page_size": (PAGE_SIZE, "records per page (`limit`)"),
    "cursor_chars": (CURSOR_CHARS, "characters in a cursor"),
    "body_bytes": (BODY_BYTES, "bytes in a request body"),
    "body_depth": (BODY_DEPTH, "levels of JSON nesting in a request"),
    "integer_max": (INTEGER_MAX, "largest integer in a query (the smallest is -2^63)"),
    "query_timeout_ms": (QUERY_TIMEOUT_MS, "milliseconds one search may run"),
}


def exceeded(name: str, what: str, problem: str = "limit_exceeded") -> QueryError:
    """`<what>; the limit is <value> (<name>).` as a QueryError (`limit_exceeded`)."""
    value = LIMITS[name][0]
    return QueryError(f"{what}; the limit is {value} ({name}).", problem)


def check_text(value: str, what: str) -> None:
    """Refuse text that no database can take: a NUL (PostgreSQL has none in text) or a
    lone surrogate (not Unicode: it has no UTF-8 form)."""
    if "\x00" in value:
        message = f"{what} holds a NUL character (U+0000), which text cannot."
        raise QueryError(message, "invalid_value")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        bad = value[error.start]
        raise QueryError(
            f"{what} holds a lone surrogate (U+{ord(bad):04X}), which is not Unicode text.",
            "invalid_value",
        ) from None


def check_scalar(value: Any, what: str) -> None:
    """Refuse a scalar no database can take: bad text, an integer beyond 64 bits, a
    float that is not finite (NaN, Infinity)."""
    if isinstance(value, str):
        check_text(value, what)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not INTEGER_MIN <= value <= INTEGER_MAX:
            raise exceeded(
                "integer_max", f"{what} is an integer of {value.bit_length()} bits, beyond 64"
            )
    elif isinstance(value, float) and not math.isfinite(value):
        raise QueryError(f"{what} must be a finite number, got {value}.", "invalid_value")


class _Brief(reprlib.Repr):
    """`repr`, cut short: values echoed in error messages stay a line long."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 4
        self.maxdict = self.maxlist = self.maxtuple = self.maxset = 8
        self.maxstring = self.maxother = 120
        self.maxlong = 40

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 128:  # also beyond what str() converts (4,300 digits)
            return f"<integer of {x.bit_length()} bits>"
        return super().repr_int(x, level)


shown = _Brief().repr
