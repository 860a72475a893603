"""A stream's records as mirror rows (`RowEncoder`), without building a dict per record.

The mirror stores each record's JSON text as the tap sent it (`load.ingest` reads the
RECORD message and keeps its record as raw JSON text), so a record is read with msgspec
only as far as the loader needs it: the raw JSON text of the key and promoted
(`f_<field>`) fields. The database types the promoted values (`db.store.json_value`),
exactly as it did when it read them from the record.

A record carrying `_sdc_*` fields (a deletion, or a tap that adds Singer metadata) takes
the slow path: parsed, the metadata removed, serialized again.
"""

from __future__ import annotations

import logging
import re
from decimal import Decimal
from typing import Any

import msgspec
from singer_sdk.singerlib.exceptions import InvalidInputLine

from tap_pinterest.mirror.db import dialects
from tap_pinterest.mirror.db.errors import RecordKeyError
from tap_pinterest.mirror.db.schema import UNDECLARED
from tap_pinterest.mirror.db.textsearch import ascii_words, word_array_literal
from tap_pinterest.mirror.db.types import Batch, StreamInfo

logger = logging.getLogger(__name__)

NULL = msgspec.Raw(b"null")
#: Parses JSON as the SDK does (floats as Decimal)
decode_any = msgspec.json.Decoder(float_hook=Decimal)
#: A JSON string's escape of U+0000 (not an escaped backslash followed by `u0000`)
_NUL_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")
_SDC = b'"_sdc_'
_SDC_FIELDS = (
    "_sdc_extracted_at",
    "_sdc_received_at",
    "_sdc_batched_at",
    "_sdc_sequence",
    "_sdc_sync_started_at",
    "_sdc_table_version",
)
#: A `RowEncoder`'s buffer: pk -> (record text, version, promoted values); None text: delete
_Pending = dict[str, tuple[bytes | None, int | None, bytes]]


class RowEncoder:
    """Turns one stream's raw records into `Batch` rows, deduplicated by key.

    A record is stored compact: the top-level fields the schema declares are keyed by
    their short codes and dropped where they hold null (`db.types.StreamInfo.full` puts
    the record back together when it is read). With
    `copy`, the batch is PostgreSQL COPY text (`Batch.copy`), else SQLite's two buffers.

    `take` splits the rows into one batch per writer lane (`load.lanes`), by the hash of
    their key: within a run, a key always goes to the same lane.
    """

    def __init__(self, info: StreamInfo, *, copy: bool = False, lanes: int = 1) -> None:
        self.info = info
        self._copy = copy
        self._lanes = lanes
        keys = info.key_properties
        self._keys = len(keys)
        self._names = [*keys, *(c for c in info.columns if c not in keys)]
        self._keys_of = {name: info.compact_key(name) for name in info.codes}
        # the store reads the promoted values in `info.columns` order
        self._promoted = list(info.columns)
        # PostgreSQL: each text field's word array (`db.textsearch.ascii_words`)
        self._text_fields = list(info.text_fields) if copy else []
        self._pending: _Pending = {}
        self._warned_nul = False

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, text: bytes, version: int | None) -> None:
        """Buffer one record's JSON text; a later record with the same key replaces it."""
        if _SDC in text:
            self.add_record(decode_any.decode(text), version)
        else:
            self._add(text, version)

    def add_record(self, record: dict[str, Any], version: int | None) -> None:
        """Buffer a parsed record (Singer metadata removed; `_sdc_deleted_at` deletes)."""
        deleted = record.pop("_sdc_deleted_at", None) is not None
        for name in _SDC_FIELDS:
            record.pop(name, None)
        if deleted:
            self._pending[self.info.pk_of(record)] = (None, None, b"")
        else:
            self._add(dialects.dumps(record).encode(), version)

    def _add(self, text: bytes, version: int | None) -> None:
        if self._copy and b"\\u0000" in text:
            text = self._without_nul(text)
        try:
            fields = _decode_fields.decode(text)
        except msgspec.ValidationError:
            msg = f"a RECORD's record must be a JSON object, got: {text[:200]!r}"
            raise InvalidInputLine(msg) from None
        pk = self._pk(fields, text)
        keys_of = self._keys_of
        stored = {
            keys_of.get(k) or UNDECLARED + k: v
            for k, v in fields.items()
            if v != NULL or k not in keys_of
        }
        text = msgspec.json.encode(stored)
        cells = b",".join([fields.get(c, NULL) for c in self._promoted])
        if self._copy:
            # COPY text: the promoted values as one JSON array, then the word arrays
            words = (_copy_words(fields.get(name)) for name in self._text_fields)
            cells = b"\t".join((_copy_field(b"[%b]" % cells), *words))
        self._pending[pk] = (text, version, cells)

    def _without_nul(self, text: bytes) -> bytes:
        """PostgreSQL: `text` with each U+0000 (NUL) replaced by U+FFFD, the replacement
        character. No PostgreSQL text or JSONB value can hold a NUL, so COPY would refuse
        the whole batch; SQLite keeps it."""
        replaced = _NUL_ESCAPE.sub(rb"\1\\ufffd", text)
        if replaced != text and not self._warned_nul:
            self._warned_nul = True
            logger.warning(
                "Stream '%s': a record holds a NUL character (U+0000), which PostgreSQL "
                "cannot store; it is stored as U+FFFD, in this record and any other.",
                self.info.name,
            )
        return replaced

    def _pk(self, fields: dict[str, msgspec.Raw], text: bytes) -> str:
        keys = self.info.key_properties
        if self._keys == 1:
            raw = bytes(fields.get(keys[0], b""))
            if raw[:1] == b'"' and b"\\" not in raw:  # a string without escapes: its text
                return raw[1:-1].decode()
        values = [fields.get(k) for k in keys]
        if self._keys == 1 and values[0] in (None, NULL):
            raise RecordKeyError(self.info.name, keys[0], text.decode("utf-8", "replace"))
        record = {
            k: decode_any.decode(v) for k, v in zip(keys, values, strict=True) if v is not None
        }
        return self.info.pk_of(record)

    def take(self, rowids: range | None = None) -> list[Batch]:
        """The buffered rows as one `Batch` per lane, emptying the buffer. COPY text needs
        `rowids`, one `_rowid` per buffered row (`Writer.reserve_rowids`), given in the
        order the rows came: a new row is stored under its own, so the rows keep their
        load order whichever lane writes them."""
        pending, self._pending = self._pending, {}
        lanes = self._lanes
        if not self._copy:
            parts: list[_Pending] = [pending] if lanes == 1 else [{} for _ in range(lanes)]
            if lanes > 1:
                for pk, row in pending.items():
                    parts[hash(pk) % lanes][pk] = row
            return [_json_batch(part) for part in parts]
        if rowids is None or len(rowids) < len(pending):
            msg = f"{len(pending)} rows need as many rowids, got {len(rowids or ())}"
            raise ValueError(msg)
        lines: list[list[bytes]] = [[] for _ in range(lanes)]
        deleted: list[list[str]] = [[] for _ in range(lanes)]
        counts = [0] * lanes
        rows = zip(pending.items(), _copy_lines(pending, rowids), strict=True)
        for (pk, (text, _, _)), line in rows:
            lane = hash(pk) % lanes
            counts[lane] += 1
            if text is None:
                deleted[lane].append(pk)
            else:
                lines[lane].append(line)
        return [
            Batch(b"[]", b"", deleted[n], counts[n], copy=b"".join(lines[n])) for n in range(lanes)
        ]


def _json_batch(pending: _Pending) -> Batch:
    """SQLite: the rows as one JSON array and the records back to back (`Batch`)."""
    deleted = [pk for pk, (text, _, _) in pending.items() if text is None]
    rows: list[bytes] = []
    texts: list[bytes] = []
    offset = 1
    for pk, (text, version, cells) in pending.items():
        if text is None:
            continue
        head = msgspec.json.encode([pk, version])[1:-1]
        tail = b",%b]" % cells if cells else b"]"
        rows.append(b"[%b,%d,%d%b" % (head, offset, len(text), tail))
        texts.append(text)
        offset += len(text)
    return Batch(b"[" + b",".join(rows) + b"]", b"".join(texts), deleted, len(pending))


_decode_fields = msgspec.json.Decoder(dict[str, msgspec.Raw])


def _copy_field(value: bytes) -> bytes:
    """`value` as a field of PostgreSQL's COPY text format (backslash escapes)."""
    if b"\\" in value:
        value = value.replace(b"\\", b"\\\\")
    if b"\t" in value or b"\n" in value or b"\r" in value:
        value = value.replace(b"\t", b"\\t").replace(b"\n", b"\\n").replace(b"\r", b"\\r")
    return value


def _copy_words(raw: msgspec.Raw | None) -> bytes:
    """A text field's word array as a COPY field (`\\N` for null): its words are ASCII
    letters and digits, so the array literal needs no quoting or escapes."""
    if raw is None or raw == NULL:
        return b"\\N"
    # the array must hold the words of the text the column holds: a string's text, or
    # the JSON text of any other value. A string without escapes holds its text as it
    # is, between quotes (never part of a word): its JSON text has the same words
    data = bytes(raw)
    if data[:1] == b'"' and b"\\" in data:
        return b"{%b}" % ",".join(ascii_words(decode_any.decode(data))).encode()
    return word_array_literal(data)


def _copy_lines(pending: _Pending, rowids: range) -> list[bytes]:
    """Each row as a COPY text line: `_rowid`, `_pk`, `_version`, `_record`, the promoted
    values as one JSON array and the text fields' word arrays (`load.pgcopy` types
    them; `RowEncoder` prepared the last two). A row to delete gets an empty line."""
    return [
        b"%d\t%b\t%b\t%b\t%b\n"
        % (
            rowid,
            _copy_field(pk.encode()),
            b"\\N" if version is None else b"%d" % version,
            _copy_field(text),
            cells,
        )
        if text is not None
        else b""
        for (pk, (text, version, cells)), rowid in zip(pending.items(), rowids, strict=False)
    ]
