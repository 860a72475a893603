"""The data the two sides of the mirror pass around: a stream as stored (`StreamInfo`)
and a batch of rows to write (`Batch`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from tap_pinterest.mirror.db import dialects
from tap_pinterest.mirror.db.errors import RecordKeyError
from tap_pinterest.mirror.db.schema import FieldInfo, field_map, pk_field, text_fields


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

    def __post_init__(self) -> None:
        self.fields = field_map(self.schema)
        self.pk_field = pk_field(self.schema, self.key_properties)
        self.text_fields = text_fields(self.columns)
        self.top_level = dict.fromkeys(f.path[0] for f in self.fields.values())

    def full(self, stored: dict[str, Any]) -> dict[str, Any]:
        """A record as the target got it from its stored, compact form: the top-level
        fields the schema declares are all there, null where the record held null (or
        nothing: the stored form does not tell the two apart)."""
        return {**self.top_level, **stored}

    def pk_of(self, record: dict[str, Any]) -> str:
        """The `_pk` text of a record."""
        if len(self.key_properties) == 1:
            (key,) = self.key_properties
            value = record.get(key)
            if value is None:
                raise RecordKeyError(self.name, key, record)
            return str(value)
        return dialects.dumps([record.get(k) for k in self.key_properties])


@dataclass
class Batch:
    """A batch of one stream's rows, as `load.ingest.RowEncoder` builds it.

    SQLite: `rows` is one JSON array of `[pk, version, offset, length, promoted values...]`, one
    per record, promoted values in `StreamInfo.columns` order; `records` holds the
    records' JSON texts back to back (`offset` is 1-based, in bytes); `deleted` lists the
    keys to delete; `count` is the number of records. PostgreSQL: `copy` holds the rows
    as COPY text instead (`_pk`, `_version`, `_record`, the promoted values as a JSON
    array), and `rows` and `records` are empty.

    Either way a record is stored in its compact form, without the top-level fields that
    the schema declares and that are null (`StreamInfo.full` restores them).
    """

    rows: bytes
    records: bytes
    deleted: list[str]
    count: int
    copy: bytes = b""
