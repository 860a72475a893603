"""The tap's Singer output: each message one JSON line, encoded with msgspec.

Unlike the SDK's writers, RECORD lines are not flushed one by one: they go through the
stdout buffer, which is flushed before every other message (SCHEMA, STATE,
ACTIVATE_VERSION) and at exit. A target therefore sees every record before the STATE
that covers it, and a tap killed mid-run loses only records no STATE covered yet.
"""

from __future__ import annotations

import datetime as dt
import sys

import msgspec
from singer_sdk.singerlib.encoding.base import GenericSingerWriter
from singer_sdk.singerlib.encoding.simple import Message, RecordMessage
from typing_extensions import override


def _encode_other(value: object) -> object:
    """What JSON has no type for: dates as ISO-8601 text, anything else as text."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


_ENCODER = msgspec.json.Encoder(enc_hook=_encode_other, decimal_format="number")


class FastSingerWriter(GenericSingerWriter[bytes, Message]):
    """Singer messages to stdout as msgspec-encoded lines; RECORDs buffered."""

    def __init__(self) -> None:
        super().__init__()
        self._buffer = bytearray()
        self._started = False

    @override
    def serialize_message(self, message: Message) -> bytes:
        """One JSON line (NaN and infinity as null, as the SDK writes them)."""
        self._buffer.clear()
        _ENCODER.encode_into(message.to_dict(), self._buffer)
        self._buffer.extend(b"\n")
        return bytes(self._buffer)

    @override
    def write_message(self, message: Message) -> None:
        """Write the line; flush unless it is a RECORD."""
        out = sys.stdout
        line = self.format_message(message)
        binary = getattr(out, "buffer", None)
        if binary is None:  # a text stream (tests capture the output in one)
            out.write(line.decode())
            return
        if not self._started:
            out.flush()  # anything written as text before the first message goes first
            self._started = True
        binary.write(line)
        if not isinstance(message, RecordMessage):
            binary.flush()
