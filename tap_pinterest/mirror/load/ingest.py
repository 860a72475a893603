"""Singer messages in, read with msgspec: a RECORD's record stays raw JSON text
(`RawRecord`), for `load.rows.RowEncoder` to take apart only as far as it needs.

`MirrorReader` reads the target's input (through `InputFeed`, so that the target can
act while the tap is quiet) and names the input line of any message it cannot take.
"""

# Private singer-sdk members used here (tests/test_sdk_coupling.py checks this list):
#   GenericSingerReader._current_message: the line that failed names its stream
#   GenericSingerReader._process_unknown_message: an unknown message type is an input error

from __future__ import annotations

import os
import queue
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, cast

import msgspec
from singer_sdk.exceptions import RecordsWithoutSchemaException
from singer_sdk.singerlib.encoding.base import GenericSingerReader
from singer_sdk.singerlib.exceptions import InvalidInputLine
from typing_extensions import override

from tap_pinterest.mirror.db.errors import InputError, RecordKeyError
from tap_pinterest.mirror.load.rows import NULL, decode_any


class RawRecord(msgspec.Struct, frozen=True):
    """A RECORD message's record, still JSON text."""

    text: bytes

    def decode(self) -> dict[str, Any]:
        """The record as the SDK would have parsed it (floats as Decimal)."""
        value = decode_any.decode(self.text)
        if not isinstance(value, dict):
            msg = f"A RECORD's record must be an object, got: {self.text[:200]!r}"
            raise InvalidInputLine(msg)
        return value


class _Envelope(msgspec.Struct):
    type: str
    stream: str | None = None
    record: msgspec.Raw = NULL
    version: Any = None


class _Named(msgspec.Struct):
    stream: Any = None


_decode_envelope = msgspec.json.Decoder(_Envelope)
_decode_stream = msgspec.json.Decoder(_Named)
#: What a message the target cannot take raises (never the database's errors): the
#: reader reports it as an `InputError` naming the line.
INPUT_PROBLEMS = (
    InvalidInputLine,
    RecordsWithoutSchemaException,
    RecordKeyError,
    msgspec.MsgspecError,
)


class InputFeed:
    """The lines of a file descriptor, read by a thread, so that the main thread can wait
    for the next one with a timeout and do its idle work (`on_idle`) meanwhile.

    `idle_after()` gives the seconds to wait before calling `on_idle()`, or None to wait
    as long as it takes. The thread reads whatever the pipe holds (up to 64 kB at a
    time) and hands over whole lines; at most `MAX_CHUNKS` chunks wait, so memory stays
    bounded when the tap writes faster than the target loads.
    """

    MAX_CHUNKS = 64
    CHUNK_BYTES = 1 << 16

    def __init__(
        self, fd: int, idle_after: Callable[[], float | None], on_idle: Callable[[], None]
    ) -> None:
        self._fd = fd
        self._idle_after = idle_after
        self._on_idle = on_idle
        self._chunks: queue.Queue[list[bytes] | BaseException | None] = queue.Queue(self.MAX_CHUNKS)
        self._thread = threading.Thread(target=self._read, name="mirror-input", daemon=True)

    def _read(self) -> None:
        tail = b""
        try:
            while chunk := os.read(self._fd, self.CHUNK_BYTES):
                lines = (tail + chunk).split(b"\n")
                tail = lines.pop()
                if lines:
                    self._chunks.put(lines)
            if tail:
                self._chunks.put([tail])
            self._chunks.put(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread, raised there
            self._chunks.put(exc)

    def __iter__(self) -> Iterator[str]:
        self._thread.start()
        while True:
            try:
                lines = self._chunks.get(timeout=self._idle_after())
            except queue.Empty:
                self._on_idle()
                continue
            if lines is None:
                return
            if isinstance(lines, BaseException):
                raise lines
            for line in lines:
                yield line.decode("utf-8")


class MirrorReader(GenericSingerReader[str]):
    """Reads Singer messages with msgspec; a RECORD's record stays raw JSON text.

    Every other message is parsed as the SDK's reader does (floats as Decimal). Standard
    input is read through an `InputFeed` once the target sets `idle_after` and `on_idle`
    (what to do while the tap sends nothing: write a STATE that has come due).
    """

    idle_after: Callable[[], float | None] | None = None
    on_idle: Callable[[], None] | None = None
    #: The number of the input line being processed (1 for the first).
    line_number = 0

    @override
    def process_lines(
        self, file_input: IO[str] | None, callbacks: dict[str, Callable[[dict[str, Any]], None]]
    ) -> Any:
        """The SDK's loop over the lines; a message the target cannot take ends it with
        one `InputError`: the line number, the stream and what is wrong."""
        lines = self._numbered(file_input or self.default_input)
        try:
            return super().process_lines(cast("IO[str]", lines), callbacks)
        except INPUT_PROBLEMS as exc:
            problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
            stream = getattr(exc, "stream", None) or self._current_stream()
            raise InputError(self.line_number, stream, problem) from exc

    def _numbered(self, lines: Iterable[str]) -> Iterator[str]:
        self.line_number = 0
        source = iter(lines)
        while True:
            try:
                line = next(source)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                problem = f"not valid UTF-8 ({exc.reason} at byte {exc.start + 1} of the line)"
                raise InputError(self.line_number + 1, None, problem) from exc
            self.line_number += 1
            yield line

    def _current_stream(self) -> str | None:
        """The stream the current line names, if it names one."""
        try:
            stream = _decode_stream.decode(self._current_message or b"").stream
        except (msgspec.MsgspecError, TypeError, ValueError):
            return None
        return stream if isinstance(stream, str) else None

    @override
    def _process_unknown_message(self, message_dict: dict[str, Any]) -> None:
        msg = f"unknown message type {message_dict['type']!r}"
        raise InvalidInputLine(msg)

    @property
    @override
    def default_input(self) -> IO[str]:
        if self.idle_after is None or self.on_idle is None:
            return sys.stdin
        # only ever iterated (GenericSingerReader.process_lines)
        return cast("IO[str]", InputFeed(sys.stdin.fileno(), self.idle_after, self.on_idle))

    @override
    def deserialize_json(self, line: str) -> dict[str, Any]:
        try:
            envelope = _decode_envelope.decode(line)
            if envelope.type != "RECORD" or envelope.record is NULL:
                return dict(decode_any.decode(line))
        except (msgspec.DecodeError, TypeError, ValueError) as exc:
            msg = f"Unable to parse line as JSON: {line[:2000]}"
            raise InvalidInputLine(msg) from exc
        message: dict[str, Any] = {
            "type": "RECORD",
            "stream": envelope.stream,
            "record": RawRecord(bytes(envelope.record)),
        }
        if envelope.version is not None:
            if isinstance(envelope.version, bool) or not isinstance(envelope.version, int):
                msg = f"a RECORD's version must be an integer, got {envelope.version!r:.50}"
                raise InvalidInputLine(msg)
            message["version"] = envelope.version
        return message
