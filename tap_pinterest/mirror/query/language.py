r"""The search language, compiled to SQLAlchemy Core.

A condition is an object with exactly one operator:

- comparison `{"eq"|"neq"|"gt"|"gte"|"lt"|"lte": {"<field>": value}}`,
  `{"in": {"<field>": [values]}}`;
- text `{"like": {"<field>": "%pat%"}}`, `{"fuzzy": {"<field>": "red dress"}}`,
  `{"keyword": {"<field>": "red dress"}}` (all case-insensitive);
- arrays `{"contains": {"<array field>": value}}`,
  `{"any": {"<array of objects>": <condition on the element's fields>}}`;
- boolean `{"and": [c, ...]}`, `{"or": [c, ...]}`, `{"not": c}`.

Several fields under one comparison are AND-ed. Field names are checked against the
stream's schema before any SQL is built; values are always bound parameters.

Limits (depth, conditions, values, pattern length, the integer range): `limits`. Text
holds no NUL and no lone surrogate, numbers are finite.

Text: `like` is a case-insensitive LIKE (`%` and `_` wildcards, a backslash takes the
next character as it is: `\\%` is a percent sign). `fuzzy` and `keyword`
split the value into words; on the indexed text fields (title, description, name, note)
they match whole words (FTS5 on SQLite; on PostgreSQL a word regex, behind a GIN index
of the field's ASCII words; see `db.textsearch`):
fuzzy = every word, in order, anything between ("red dress" matches "Red summer dress");
keyword = any of the words. On other string fields they match substrings.

Words, the same on both databases: a word is a run of letters and digits; everything
else separates words, `_`, `-` and `'` included ("red_dress" and "red-dress" hold "red"
and "dress", "don't" holds "don" and "t"). Letters and digits stay together ("covid19" is
one word, and "covid" does not match it). Case does not count, accents do ("CAFÉ"
matches "café", not "cafe"). Both sides are split alike: the query by Python's
`[^\W_]+`, the text by FTS5's unicode61 tokenizer or PostgreSQL's `[[:alnum:]]`, which
agree on letters and decimal digits (other number characters such as "²" may differ).

`neq` keeps NULLs; `not` treats an unknown (NULL) result as false.

Order: with a sort, by the sort fields, ties in load order (the order the mirror first
stored the records; an upsert keeps a record's place); without one, in load order, which
the sort indexes (field, `_rowid`) and FTS5 yield without sorting (PostgreSQL's word
index does not: a text search there is read in windows of `_rowid`, see `paging`).
Either way a cursor pages through every record once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tap_pinterest.mirror.db import dialects, textsearch
from tap_pinterest.mirror.db.errors import QueryError
from tap_pinterest.mirror.db.schema import SCALAR_KINDS, FieldInfo, field_map
from tap_pinterest.mirror.db.store import json_value
from tap_pinterest.mirror.db.types import StreamInfo
from tap_pinterest.mirror.query import limits
from tap_pinterest.mirror.query.limits import shown

COMPARISONS = ("eq", "neq", "gt", "gte", "lt", "lte", "in")
TEXT = ("like", "fuzzy", "keyword")
ARRAY = ("contains", "any")
BOOLEAN = ("and", "or", "not")
OPERATORS = (*COMPARISONS, *TEXT, *ARRAY, *BOOLEAN)
_WORD = re.compile(r"[^\W_]+")


@dataclass
class Scope:
    """Where field paths resolve: the record itself, or an array element inside `any`."""

    fields: dict[str, FieldInfo]
    value_of: Callable[[FieldInfo], sa.ColumnElement[Any]]
    doc: sa.ColumnElement[Any]
    info: StreamInfo | None = None  # set at the record level: promoted columns, text index

    def path_in_doc(self, path: tuple[str, ...]) -> tuple[str, ...]:
        """A field path as it runs in `doc` (a stored record keys its fields by codes)."""
        return path if self.info is None else self.info.stored_path(path)


def record_scope(info: StreamInfo) -> Scope:
    table = info.table

    def value_of(f: FieldInfo) -> sa.ColumnElement[Any]:
        if len(f.path) == 1:
            if f.path[0] == info.pk_field:
                return table.c._pk
            if f.path[0] in info.columns:
                return table.c[f"f_{f.path[0]}"]
        return json_value(table.c._record[info.stored_path(f.path)], f.kind)

    return Scope(info.fields, value_of, table.c._record, info)


class Compiler:
    """Turns one entity's filter and sort into SQL expressions, or raises QueryError."""

    def __init__(self, info: StreamInfo, dialect: str) -> None:
        self.info = info
        self.dialect = dialect
        self.root = record_scope(info)
        #: conditions and values compiled so far (`limits`)
        self.conditions = 0
        self.values = 0

    def _count(self, conditions: int = 0, values: int = 0) -> None:
        self.conditions += conditions
        self.values += values
        if self.conditions > limits.FILTER_CONDITIONS:
            raise limits.exceeded("filter_conditions", "The filter holds too many conditions")
        if self.values > limits.FILTER_VALUES:
            raise limits.exceeded("filter_values", "The filter holds too many values")

    # fields

    def resolve(self, scope: Scope, name: object, *, context: str) -> FieldInfo:
        if isinstance(name, list | tuple) and all(isinstance(k, str) for k in name):
            name = ".".join(name)
        if not isinstance(name, str) or name not in scope.fields:
            raise QueryError(
                f"Unknown field {shown(name)} in {context} for entity {self.info.name!r}.",
                "unknown_field",
                sorted(scope.fields),
            )
        return scope.fields[name]

    # conditions

    def condition(self, cond: object, scope: Scope | None = None, depth: int = 0) -> Any:
        scope = scope or self.root
        if depth >= limits.FILTER_DEPTH:
            raise limits.exceeded("filter_depth", "The filter is nested too deep")
        if not isinstance(cond, dict) or len(cond) != 1:
            raise QueryError(
                f"A condition must be an object with exactly one operator, got {shown(cond)}.",
                "invalid_query",
                OPERATORS,
            )
        ((op, arg),) = cond.items()
        self._count(conditions=1)
        if op in ("and", "or"):
            if not isinstance(arg, list) or not arg:
                raise QueryError(f"{op!r} takes a non-empty list of conditions.", "invalid_value")
            parts = [self.condition(c, scope, depth + 1) for c in arg]
            return sa.and_(*parts) if op == "and" else sa.or_(*parts)
        if op == "not":
            # NULL (unknown) counts as false, so `not` is the exact complement
            inner = self.condition(arg, scope, depth + 1)
            return sa.not_(sa.func.coalesce(inner, sa.false()))
        if op not in OPERATORS:
            raise QueryError(f"Unknown operator {shown(op)}.", "unknown_operator", OPERATORS)
        if not isinstance(arg, dict) or not arg:
            raise QueryError(
                f"{op!r} takes an object of field -> value, got {shown(arg)}.", "invalid_value"
            )
        self._count(conditions=len(arg) - 1)
        parts = []
        for name, value in arg.items():
            f = self.resolve(scope, name, context=f"{op!r}")
            if op == "any":
                parts.append(self._any(scope, f, value, depth))
            elif op == "contains":
                parts.append(self._contains(scope, f, value))
            elif op in TEXT:
                parts.append(self._text(scope, op, f, value))
            else:
                parts.append(self._compare(scope, op, f, value))
        return parts[0] if len(parts) == 1 else sa.and_(*parts)

    def _compare(self, scope: Scope, op: str, f: FieldInfo, value: Any) -> Any:
        if f.kind not in SCALAR_KINDS and not (op in ("eq", "neq") and value is None):
            raise QueryError(
                f"Field {f.dotted!r} is {f.kind}; {op!r} compares scalar fields only "
                "(use contains/any for arrays, a nested path for objects).",
                "invalid_value",
                [n for n, x in scope.fields.items() if x.kind in SCALAR_KINDS],
            )
        column = scope.value_of(f)
        if op == "in":
            if not isinstance(value, list) or not value:
                raise QueryError(
                    f"'in' on {f.dotted!r} takes a list of 1 to {limits.IN_VALUES} values, "
                    f"got {shown(value)}.",
                    "invalid_value",
                )
            if len(value) > limits.IN_VALUES:
                what = f"'in' on {f.dotted!r} lists {len(value)} values"
                raise limits.exceeded("in_values", what)
            self._count(values=len(value))
            for v in value:
                check_value(f, v, "in")
            return column.in_([_as_kind(f, v) for v in value])
        if op in ("eq", "neq") and value is None:
            return column.is_(None) if op == "eq" else column.is_not(None)
        self._count(values=1)
        check_value(f, value, op)
        if op in ("gt", "gte", "lt", "lte") and f.kind == "boolean":
            raise QueryError(
                f"{op!r} does not apply to boolean field {f.dotted!r}.",
                "invalid_value",
                ["eq", "neq", "in"],
            )
        value = _as_kind(f, value)
        return {
            "eq": column.__eq__,
            "neq": lambda v: sa.or_(column != v, column.is_(None)),
            "gt": column.__gt__,
            "gte": column.__ge__,
            "lt": column.__lt__,
            "lte": column.__le__,
        }[op](value)

    def _text(self, scope: Scope, op: str, f: FieldInfo, value: Any) -> Any:
        if f.kind != "string":
            raise QueryError(
                f"{op!r} searches string fields; {f.dotted!r} is {f.kind}.",
                "invalid_value",
                [n for n, x in scope.fields.items() if x.kind == "string"],
            )
        if not isinstance(value, str) or not value.strip():
            raise QueryError(f"{op!r} on {f.dotted!r} takes a non-empty string.", "invalid_value")
        if len(value) > limits.PATTERN_CHARS:
            raise limits.exceeded(
                "pattern_chars", f"The {op!r} text on {f.dotted!r} is {len(value)} characters long"
            )
        limits.check_text(value, f"The {op!r} text on {f.dotted!r}")
        self._count(values=1)
        info = scope.info
        indexed = info is not None and len(f.path) == 1 and f.path[0] in info.text_fields
        column = scope.value_of(f)
        if op == "like":
            return _like(self.dialect, column, value, f)
        words = split_words(op, value)
        if indexed and info is not None:
            return textsearch.word_match(
                self.dialect, info.table, f.path[0], words, ordered=op == "fuzzy"
            )
        if op == "fuzzy":
            return column.ilike("%" + "%".join(words) + "%")
        return sa.or_(*(column.ilike(f"%{w}%") for w in words))

    def text_scan(self, flt: object) -> textsearch.TextScan | None:
        """For a filter that is one `fuzzy`/`keyword` on one indexed text field, the scan
        that reads its matches in load order (call after `condition` has checked it)."""
        if not isinstance(flt, dict) or len(flt) != 1:
            return None
        ((op, arg),) = flt.items()
        if op not in ("fuzzy", "keyword") or not isinstance(arg, dict) or len(arg) != 1:
            return None
        ((name, value),) = arg.items()
        if name not in self.info.text_fields or not isinstance(value, str):
            return None
        words = split_words(op, value)
        return textsearch.word_scan(
            self.dialect, self.info.table, name, words, ordered=op == "fuzzy"
        )

    def _contains(self, scope: Scope, f: FieldInfo, value: Any) -> Any:
        if f.kind != "array" or f.item_kind not in SCALAR_KINDS:
            raise QueryError(
                f"'contains' needs an array of scalars; {f.dotted!r} is {f.kind}.",
                "invalid_value",
                [
                    n
                    for n, x in scope.fields.items()
                    if x.kind == "array" and x.item_kind in SCALAR_KINDS
                ],
            )
        item = FieldInfo(f.path, f.item_kind or "any")
        self._count(values=1)
        check_value(item, value, "contains")
        return dialects.array_contains(self.dialect, scope.doc, scope.path_in_doc(f.path), value)

    def _any(self, scope: Scope, f: FieldInfo, value: Any, depth: int) -> Any:
        if f.kind != "array" or f.item_kind != "object" or not f.item_schema:
            raise QueryError(
                f"'any' needs an array of objects; {f.dotted!r} is {f.kind}.",
                "invalid_value",
                [
                    n
                    for n, x in scope.fields.items()
                    if x.kind == "array" and x.item_kind == "object"
                ],
            )
        elements = dialects.array_elements(self.dialect, scope.doc, scope.path_in_doc(f.path))
        element_doc = elements.c.value
        inner = Scope(
            field_map(f.item_schema),
            lambda g: json_value(element_doc[g.path], g.kind),
            element_doc,
        )
        where = self.condition(value, inner, depth + 1)
        return sa.exists(sa.select(sa.literal(1)).select_from(elements).where(where))

    # sort

    def sort(self, sort: object) -> list[tuple[FieldInfo, bool]]:
        """`[{"field": "asc"|"desc"}, ...]` -> [(field, descending)]."""
        if sort is None:
            return []
        if not isinstance(sort, list):
            raise QueryError(
                f'sort must be a list of {{"<field>": "asc"|"desc"}}, got {shown(sort)}.',
                "invalid_sort",
            )
        if len(sort) > limits.SORT_FIELDS:
            raise limits.exceeded("sort_fields", f"The sort lists {len(sort)} fields")
        out: list[tuple[FieldInfo, bool]] = []
        sortable = [n for n, x in self.info.fields.items() if x.kind in SCALAR_KINDS]
        for item in sort:
            if not isinstance(item, dict) or len(item) != 1:
                raise QueryError(
                    f'Each sort item is one {{"<field>": "asc"|"desc"}}, got {shown(item)}.',
                    "invalid_sort",
                )
            ((name, direction),) = item.items()
            f = self.resolve(self.root, name, context="sort")
            if f.kind not in SCALAR_KINDS:
                raise QueryError(
                    f"Cannot sort on {f.kind} field {shown(name)}.", "invalid_sort", sortable
                )
            if direction not in ("asc", "desc"):
                raise QueryError(
                    f"Sort direction for {shown(name)} must be 'asc' or 'desc', "
                    f"got {shown(direction)}.",
                    "invalid_sort",
                    ["asc", "desc"],
                )
            # the key is unique: keys after it change nothing (the key stays last)
            keyed = any(g.path == (self.info.pk_field,) for g, _ in out)
            if not keyed and all(f is not g for g, _ in out):
                out.append((f, direction == "desc"))
        return out


def split_words(op: str, value: str) -> list[str]:
    """The distinct words of a fuzzy/keyword value, lower-cased, in order."""
    words = list(dict.fromkeys(w.lower() for w in _WORD.findall(value)))
    if not words:
        raise QueryError(f"{op!r} found no words in {shown(value)}.", "invalid_value")
    return words


def check_value(f: FieldInfo, value: Any, op: str) -> None:
    """Raise unless `value` has the JSON type of field `f`."""
    ok = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
    }.get(f.kind, isinstance(value, str | int | float | bool))
    if not ok:
        raise QueryError(
            f"{op!r} on {f.dotted!r} expects a {f.kind} value, got {type(value).__name__} "
            f"{shown(value)}.",
            "invalid_value",
            [f.kind],
        )
    limits.check_scalar(value, f"The {op!r} value on {f.dotted!r}")


def _as_kind(f: FieldInfo, value: Any) -> Any:
    """A number field compares as a 64-bit float: an integer value too, on both
    databases (PostgreSQL would round an integer column's side, SQLite compare exactly)."""
    return float(value) if f.kind == "number" else value


def _like(dialect: str, column: Any, pattern: str, f: FieldInfo) -> Any:
    """Case-insensitive LIKE, `%` and `_` wildcards, a backslash taking the next character
    as it is (PostgreSQL's default escape; SQLite is told it)."""
    escaped = False
    for char in pattern:
        escaped = not escaped and char == "\\"
    if escaped:
        raise QueryError(
            f"The 'like' pattern on {f.dotted!r} ends in a lone backslash: a backslash takes "
            "the next character as it is (\\% for a percent sign, \\\\ for a backslash).",
            "invalid_value",
        )
    if dialect == "sqlite":
        return column.ilike(pattern, escape="\\")
    return column.ilike(pattern)
