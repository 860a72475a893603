"""What the mirror knows about a stream from its SCHEMA message: field paths and kinds,
the promoted (typed, top-level) columns, the indexed and the full-text fields."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

SCALAR_KINDS = frozenset({"string", "integer", "number", "boolean"})
#: Top-level string fields that get a word index (FTS5 on SQLite, word arrays on PostgreSQL).
TEXT_FIELDS = ("title", "description", "name", "note")
#: Top-level fields, beside `*_id`, that get a b-tree index (field, `_rowid`) for eq and
#: sorting.
INDEXED_FIELDS = frozenset(
    {"created_at", "created_time", "updated_at", "updated_time", "date", "status", "name"}
)
_COLUMN_SAFE = re.compile(r"[a-z][a-z0-9_]{0,50}")


@dataclass(frozen=True)
class FieldInfo:
    """One field path of a stream: its kind and, for arrays, the kind of its items."""

    path: tuple[str, ...]
    kind: str  # string | integer | number | boolean | object | array | any
    item_kind: str | None = None
    item_schema: dict[str, Any] | None = None

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


def kind_of(schema: dict[str, Any]) -> str:
    """The single non-null JSON type of a schema, or `any`."""
    types = schema.get("type")
    if types is None:
        if "properties" in schema:
            return "object"
        return "any"
    if isinstance(types, str):
        types = [types]
    kinds = [t for t in types if t != "null"]
    return kinds[0] if len(kinds) == 1 else "any"


def field_map(schema: dict[str, Any], prefix: tuple[str, ...] = ()) -> dict[str, FieldInfo]:
    """Every field path of an object schema, dotted, nested objects included."""
    out: dict[str, FieldInfo] = {}
    for name, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, dict):
            continue
        path = (*prefix, name)
        kind = kind_of(sub)
        if kind == "array":
            items = sub.get("items") if isinstance(sub.get("items"), dict) else {}
            item_kind = kind_of(items) if items else "any"
            out[".".join(path)] = FieldInfo(path, kind, item_kind, items)
        else:
            out[".".join(path)] = FieldInfo(path, kind)
        if kind == "object":
            out.update(field_map(sub, path))
    return out


#: An undeclared top-level field is stored under its name after this mark (no code has it).
UNDECLARED = "~"
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def field_codes(schema: dict[str, Any]) -> dict[str, str]:
    """The short key each top-level property is stored under: its position among the
    schema's properties, in base 36 ("0", "1", ... "z", "10", ...).

    Stable as a schema evolves: `merge_schemas` keeps the properties a table had in their
    order and appends the new ones.
    """
    codes = {}
    for i, name in enumerate(schema.get("properties") or {}):
        code, n = "", i
        while True:
            n, digit = divmod(n, 36)
            code = _DIGITS[digit] + code
            if not n:
                break
        codes[name] = code
    return codes


def merge_schemas(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """`new`, plus the top-level properties only `old` had (old records still carry them)."""
    merged = dict(new)
    props = dict(old.get("properties") or {})
    props.update(new.get("properties") or {})
    merged["properties"] = props
    return merged


def promoted_columns(schema: dict[str, Any], key_properties: list[str]) -> dict[str, str]:
    """Top-level scalar fields copied into typed columns: field name -> kind.

    Only the fields that get an index are promoted (ids, times, statuses, text fields);
    every other field is read from the JSON record. A single string key is stored once,
    in `_pk`, and is not promoted again.
    """
    single_string_key = pk_field(schema, key_properties)
    out: dict[str, str] = {}
    for name, sub in (schema.get("properties") or {}).items():
        kind = kind_of(sub) if isinstance(sub, dict) else "any"
        if (
            kind in SCALAR_KINDS
            and _COLUMN_SAFE.fullmatch(name)
            and name != single_string_key
            and (is_indexed(name, key_properties) or name in TEXT_FIELDS)
        ):
            out[name] = kind
    return out


def pk_field(schema: dict[str, Any], key_properties: list[str]) -> str | None:
    """The key field that lives in `_pk` (a single string key), if any."""
    if len(key_properties) != 1:
        return None
    sub = (schema.get("properties") or {}).get(key_properties[0])
    return key_properties[0] if isinstance(sub, dict) and kind_of(sub) == "string" else None


def is_indexed(name: str, key_properties: list[str]) -> bool:
    """Whether a promoted column gets a (field, `_rowid`) b-tree index."""
    return name.endswith("_id") or name in INDEXED_FIELDS or name in key_properties


def text_fields(columns: dict[str, str]) -> list[str]:
    """The promoted string columns that get a text index (`textsearch`)."""
    return [name for name in TEXT_FIELDS if columns.get(name) == "string"]
