"""A small pure-Python model of the search language, for the property tests: which
queries the mirror must refuse (`RefusedError`), and which records the others return, in
which order. Written from the language's documentation, not from its SQL.

It covers the fields of `conftest.ITEMS_SCHEMA` and records whose values have their
schema's types. Text holds ASCII letters and caseless other characters only: beyond
ASCII, case folding in `like` follows the database (see docs/mirror.md).
"""

from __future__ import annotations

import math
import re
from typing import Any

KINDS = {
    "id": "string",
    "title": "string",
    "description": "string",
    "status": "string",
    "created_at": "string",
    "count": "integer",
    "price": "number",
    "active": "boolean",
    "owner.username": "string",
    "media.media_type": "string",
    "media.width": "integer",
    "owner": "object",
    "media": "object",
    "tags": "array",
    "parts": "array",
}
PART_KINDS = {"name": "string", "qty": "integer"}
SCALARS = {"string", "integer", "number", "boolean"}
INDEXED_TEXT = {"title", "description"}
ORDERED = ("gt", "gte", "lt", "lte")
OPERATORS = {"eq", "neq", *ORDERED, "in", "like", "fuzzy", "keyword", "contains", "any"}
WORD = re.compile(r"[^\W_]+")


class RefusedError(Exception):
    """The mirror must answer this query with a 400."""


class Limits:
    """The documented limits (docs/mirror.md), counted as the query is checked."""

    depth = 16
    conditions = 256
    values = 10_000
    in_values = 1000
    pattern = 1000
    sort = 8

    def __init__(self) -> None:
        self.seen_conditions = 0
        self.seen_values = 0

    def count(self, conditions: int = 0, values: int = 0) -> None:
        self.seen_conditions += conditions
        self.seen_values += values
        if self.seen_conditions > self.conditions or self.seen_values > self.values:
            raise RefusedError


def get(record: dict[str, Any] | None, path: str) -> Any:
    node: Any = record
    for key in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def check_scalar(kind: str, value: Any) -> None:
    """Refuse a value of the wrong type, or one no database holds."""
    right = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
    }[kind]
    if not right:
        raise RefusedError
    if isinstance(value, str) and ("\x00" in value or _surrogate(value)):
        raise RefusedError
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        raise RefusedError
    if isinstance(value, float) and not math.isfinite(value):
        raise RefusedError


def _surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


# ---- the filter: checked, then a predicate -------------------------------------------


def compile_filter(
    flt: Any, kinds: dict[str, str] = KINDS, limits: Limits | None = None, depth: int = 0
) -> Any:
    """A predicate `record -> bool` (True: selected), or raise `RefusedError`."""
    limits = limits or Limits()
    if depth >= limits.depth or not isinstance(flt, dict) or len(flt) != 1:
        raise RefusedError
    ((op, arg),) = flt.items()
    limits.count(conditions=1)
    if op in ("and", "or"):
        if not isinstance(arg, list) or not arg:
            raise RefusedError
        parts = [compile_filter(c, kinds, limits, depth + 1) for c in arg]
        if op == "and":
            return lambda r: all(p(r) for p in parts)
        return lambda r: any(p(r) for p in parts)
    if op == "not":
        inner = compile_filter(arg, kinds, limits, depth + 1)
        return lambda r: not inner(r)  # an unknown inner result counts as false
    if op not in OPERATORS or not isinstance(arg, dict) or not arg:
        raise RefusedError
    limits.count(conditions=len(arg) - 1)
    tests = [_leaf(op, name, value, kinds, limits, depth) for name, value in arg.items()]
    return lambda r: all(t(r) for t in tests)


def _leaf(  # noqa: PLR0917 - the condition, and where it stands
    op: str, name: str, value: Any, kinds: dict[str, str], limits: Limits, depth: int
) -> Any:
    kind = kinds.get(name)
    if kind is None:
        raise RefusedError
    if op == "any":
        if name != "parts":
            raise RefusedError
        inner = compile_filter(value, PART_KINDS, limits, depth + 1)
        return lambda r: any(inner(p) for p in (get(r, name) or []))
    if op == "contains":
        if name != "tags":
            raise RefusedError
        limits.count(values=1)
        check_scalar("string", value)
        return lambda r: value in (get(r, name) or [])
    if op in {"like", "fuzzy", "keyword"}:
        return _text(op, name, value, kind, limits)
    if op in {"eq", "neq"} and value is None:
        missing = op == "eq"
        return lambda r: (get(r, name) is None) is missing
    if kind not in SCALARS:
        raise RefusedError
    return _compare(op, name, value, kind, limits)


def _compare(op: str, name: str, value: Any, kind: str, limits: Limits) -> Any:
    # a number field compares as 64-bit floats, the query's integers too
    def at(r: dict[str, Any]) -> Any:
        return _float(get(r, name)) if kind == "number" else get(r, name)

    if op == "in":
        if not isinstance(value, list) or not value or len(value) > limits.in_values:
            raise RefusedError
        limits.count(values=len(value))
        for v in value:
            check_scalar(kind, v)
        values = [float(v) for v in value] if kind == "number" else value
        return lambda r: at(r) is not None and at(r) in values
    limits.count(values=1)
    check_scalar(kind, value)
    if op in ORDERED and kind == "boolean":
        raise RefusedError
    if kind == "number":
        value = float(value)
    compare = {
        "eq": lambda a: a == value,
        "neq": lambda a: a != value,
        "gt": lambda a: a > value,
        "gte": lambda a: a >= value,
        "lt": lambda a: a < value,
        "lte": lambda a: a <= value,
    }[op]
    if op == "neq":
        return lambda r: at(r) is None or compare(at(r))
    return lambda r: at(r) is not None and compare(at(r))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _text(op: str, name: str, value: Any, kind: str, limits: Limits) -> Any:
    if kind != "string" or not isinstance(value, str) or not value.strip():
        raise RefusedError
    if len(value) > limits.pattern:
        raise RefusedError
    check_scalar("string", value)
    limits.count(values=1)
    if op == "like":
        return _like(name, value)
    words = list(dict.fromkeys(w.lower() for w in WORD.findall(value)))
    if not words:
        raise RefusedError
    if name in INDEXED_TEXT:  # whole words, case-folded
        if op == "keyword":
            return lambda r: bool(set(words) & _words(get(r, name)))
        return lambda r: _in_order(words, _word_list(get(r, name)))
    # elsewhere: substrings, case-insensitive (ASCII)
    if op == "keyword":
        return lambda r: get(r, name) is not None and any(w in get(r, name).lower() for w in words)
    pattern = re.compile(".*".join(re.escape(w) for w in words), re.DOTALL)
    return lambda r: get(r, name) is not None and pattern.search(get(r, name).lower()) is not None


def _words(text: str | None) -> set[str]:
    return set(_word_list(text))


def _word_list(text: str | None) -> list[str]:
    return [w.lower() for w in WORD.findall(text or "")]


def _in_order(words: list[str], text_words: list[str]) -> bool:
    """Each word in turn, as a whole word, after the previous one."""
    at = 0
    for word in words:
        try:
            at = text_words.index(word, at) + 1
        except ValueError:
            return False
    return True


def _like(name: str, pattern: str) -> Any:
    regex = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            escaped = next(chars, None)
            if escaped is None:
                raise RefusedError
            regex.append(re.escape(escaped.lower()))
        elif char == "%":
            regex.append(".*")
        elif char == "_":
            regex.append(".")
        else:
            regex.append(re.escape(char.lower()))
    compiled = re.compile("".join(regex), re.DOTALL)
    return lambda r: (
        get(r, name) is not None and compiled.fullmatch(get(r, name).lower()) is not None
    )


# ---- sort and the whole search -------------------------------------------------------


def check_sort(sort: Any) -> list[tuple[str, bool]]:
    """[(field, descending)], the key ending it (nothing after the key counts)."""
    if sort is None:
        return []
    if not isinstance(sort, list) or len(sort) > Limits.sort:
        raise RefusedError
    out: list[tuple[str, bool]] = []
    for entry in sort:
        if not isinstance(entry, dict) or len(entry) != 1:
            raise RefusedError
        ((name, direction),) = entry.items()
        if KINDS.get(name) not in SCALARS or direction not in ("asc", "desc"):
            raise RefusedError
        if any(n == "id" for n, _ in out) or any(n == name for n, _ in out):
            continue
        out.append((name, direction == "desc"))
    return out


class _Desc:
    """Reverses the order of a sort key."""

    def __init__(self, key: Any) -> None:
        self.key = key

    def __lt__(self, other: _Desc) -> bool:
        return bool(other.key < self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)


def search(records: list[dict[str, Any]], query: dict[str, Any]) -> list[str]:
    """The ids the mirror returns, in order (`records` in load order); or `RefusedError`."""
    if not isinstance(query, dict) or set(query) - {"filter", "sort"}:
        raise RefusedError
    flt = query.get("filter")
    keep = compile_filter(flt) if flt else (lambda r: True)
    sort = check_sort(query.get("sort"))
    rows = [(i, r) for i, r in enumerate(records) if keep(r)]
    ends_in_key = bool(sort) and sort[-1][0] == "id"
    last_desc = sort[-1][1] if sort else False

    def key(row: tuple[int, dict[str, Any]]) -> list[Any]:
        index, record = row
        parts: list[Any] = []
        for name, desc in sort:
            value = get(record, name)
            if KINDS[name] == "number":
                value = _float(value)
            part = (value is not None, value if value is not None else 0)  # NULL smallest
            parts.append(_Desc(part) if desc else part)
        if not ends_in_key:  # ties in load order, the way the last key runs
            parts.append(_Desc(index) if last_desc else index)
        return parts

    return [r["id"] for _, r in sorted(rows, key=key)]
