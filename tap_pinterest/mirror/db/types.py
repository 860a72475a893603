"""The data the two sides of the mirror pass around: a stream as stored (`StreamInfo`)
and a batch of rows to write (`Batch`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from tap_pinterest.mirror.db import dialects
from tap_pinterest.mirror.db.errors import RecordKeyError
from tap_pinterest.mirror.db.schema import (
    UNDECLARED,
    FieldInfo,
    field_codes,
    field_map,
    pk_field,
    text_fields,
)


@dataclass
class StreamInfo:
    """A stream as stored: its table, fields and key."""

    name: str
    table: sa.Table
    key_properties: list[str]
    schema: dict[str, Any]
    columns: dict[str, str]
    generation: int
    last_loaded_at: str | None
    fields: dict[str, FieldInfo] = field(init=False)
    pk_field: str | None = field(init=False)
    text_fields: list[str] = field(init=False)
    #: every top-level field of the schema, as null
    top_level: dict[str, None] = field(init=False)
    #: the short key each top-level field is stored under (`schema.field_codes`)
    codes: dict[str, str] = field(init=False)
    names: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.fields = field_map(self.schema)
        self.pk_field = pk_field(self.schema, self.key_properties)
        self.text_fields = text_fields(self.columns)
        self.codes = field_codes(self.schema)
        self.names = {code: name for name, code in self.codes.items()}
        self.top_level = dict.fromkeys(self.codes)

    def full(self, stored: dict[str, Any]) -> dict[str, Any]:
        """A record as the target got it from its stored, compact form (`compact_key`):
        the top-level fields the schema declares are all there, null where the record
        held null (or nothing: the stored form does not tell the two apart)."""
        record: dict[str, Any] = dict(self.top_level)
        names = self.names
        for key, value in stored.items():
            name = names.get(key)
            record[key[1:] if name is None else name] = value
        return record

    def compact_key(self, name: str) -> str:
        """The key a top-level field is stored under: its short code if the schema
        declares it, else its name after `schema.UNDECLARED`."""
        return self.codes.get(name) or UNDECLARED + name

    def stored_path(self, path: tuple[str, ...]) -> tuple[str, ...]:
        """A field path as it runs in a stored record."""
        return (self.compact_key(path[0]), *path[1:])

    def pk_of(self, record: dict[str, Any]) -> str:
        """The `_pk` text of a record; a key value must be a string, number or boolean."""
        for key in self.key_properties:
            if isinstance(record.get(key), dict | list):
                kind = "an object" if isinstance(record[key], dict) else "an array"
                problem = f"{kind}, not a string, number or boolean,"
                raise RecordKeyError(self.name, key, record, problem=problem)
        if len(self.key_properties) == 1:
            (key,) = self.key_properties
            value = record.get(key)
            if value is None:
                raise RecordKeyError(self.name, key, record)
            return str(value)
        return dialects.dumps([record.get(k) for k in self.key_properties])


@dataclass
class Batch:
    """A batch of one stream's rows, as `load.rows.RowEncoder` builds it.

    SQLite: `rows` is one JSON array of `[pk, version, offset, length, promoted values...]`, one
    per record, promoted values in `StreamInfo.columns` order; `records` holds the
    records' JSON texts back to back (`offset` is 1-based, in bytes); `deleted` lists the
    keys to delete; `count` is the number of records. PostgreSQL: `copy` holds the rows
    as COPY text instead (`_pk`, `_version`, `_record`, the promoted values as a JSON
    array), and `rows` and `records` are empty.

    Either way a record is stored in its compact form: the top-level fields the schema
    declares are keyed by short codes and left out where null, the others keep their
    names after a `~` (`StreamInfo.compact_key`; `StreamInfo.full` restores the record).
    """

    rows: bytes
    records: bytes
    deleted: list[str]
    count: int
    copy: bytes = b""
