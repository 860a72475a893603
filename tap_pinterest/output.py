"""The tap's Singer output: each message one JSON line, encoded with msgspec.

Unlike the SDK's writers, RECORD lines are not written one by one: they are gathered in
a buffer of the writer's own (stdout is often unbuffered: Meltano and many CI images set
PYTHONUNBUFFERED), written once it holds ``BUFFER_BYTES``, before every other message
(SCHEMA, STATE, ACTIVATE_VERSION) and at exit. A target therefore sees every record
before the STATE that covers it, and a tap killed mid-run loses only records that no
STATE covered yet.
"""

from __future__ import annotations

import atexit
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
#: RECORD lines gathered before one write to stdout.
BUFFER_BYTES = 256 * 1024


class FastSingerWriter(GenericSingerWriter[bytes, Message]):
    """Singer messages to stdout as msgspec-encoded lines; RECORDs buffered."""

    def __init__(self) -> None:
        super().__init__()
        self._pending = bytearray()
        atexit.register(self.flush)

    @override
    def serialize_message(self, message: Message) -> bytes:
        """One JSON line (NaN and infinity as null, as the SDK writes them). No scratch
        buffer is shared: a SIGTERM handler may write a STATE in the middle of a RECORD."""
        return _ENCODER.encode(message.to_dict()) + b"\n"

    @override
    def write_message(self, message: Message) -> None:
        """Gather a RECORD line; write any other message at once, after the records."""
        self._pending += self.format_message(message)
        if not isinstance(message, RecordMessage) or len(self._pending) >= BUFFER_BYTES:
            self.flush()

    def flush(self) -> None:
        """Write what is gathered to stdout (taken first: a SIGTERM handler may flush too)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, bytearray()
        out = sys.stdout
        binary = getattr(out, "buffer", None)
        if binary is None:  # a text stream (tests capture the output in one)
            out.write(pending.decode())
            return
        out.flush()  # anything written as text before goes first
        # With PYTHONUNBUFFERED, stdout's binary layer is the raw file: a write to a pipe
        # interrupted by a signal (SIGTERM) may write part of the data, and says how much.
        rest = memoryview(pending)
        while rest:
            written = binary.write(rest)
            rest = rest[written or 0 :]
        binary.flush()
