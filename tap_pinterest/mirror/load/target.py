"""`target-pinterest-mirror`: a Singer target that keeps the mirror current.

`database_url` defaults to `db.database.DEFAULT_URL` (a SQLite file under `output/` in
the working directory); the target creates a SQLite file's directory, and connects before
it reads any input, so a database it cannot use fails at once, as one error line.

- RECORD: upserted on the SCHEMA's key_properties, in batches, by the writer threads
  (`load.lanes`: one on SQLite, two on PostgreSQL, each batch split between them by
  key) in long transactions, committed every so many records or
  seconds, and before a STATE is written, a schema change or ACTIVATE_VERSION;
- SCHEMA: creates the stream's table, or adds the columns of fields a schema gained;
- STATE: every sink is drained (committed) before the STATE is written to stdout, at most
  once every `state_interval_seconds`: a STATE that comes sooner is held back and
  written once the interval is over (at the next message, or while the tap sends
  nothing, or at the end of the input), so a tap's STATE every 10,000 records does not
  cost a commit every 10,000 records;
- ACTIVATE_VERSION: the records before it are committed, then the rows of older versions
  (rows a full-table sync no longer returned) are deleted. tap-pinterest sends it once a
  stream has synced in full, so a sync cut short deletes nothing; a shard's sync (some
  ad accounts) names its `scope`, and only the rows within it are deleted (`load.scope`).
- BATCH: refused unless `batch_directories` names the directories its files may be read
  from (a BATCH message names any file; the target must not read one it was not meant to).

A message the target cannot take (not JSON, not valid UTF-8, a record that is not an
object, a key that is missing or not a scalar, a stream no SCHEMA declared) ends the load
with one line naming the input line, the stream and the problem (`db.errors.InputError`).
"""

# Private singer-sdk members used here (tests/test_sdk_coupling.py checks this list):
#   Target._process_record_message: a RECORD's JSON text goes to the sink unparsed
#   Target._process_state_message: a STATE is held back until its interval is over
#   Target._write_state_message: a STATE is written only once its records are committed
#   Target._handle_max_record_age: after every record, a held-back STATE that came due
#   Target._latest_state: tells whether a STATE message changed the state
#   Target._assert_line_requires: an ACTIVATE_VERSION or BATCH without its keys is refused
#   Target._process_activate_version_message: a declared stream only, within its scope
#   Target._process_batch_message: only files inside batch_directories
#   Target._sinks_to_clear: at the end, the replaced sinks are cleaned up after the STATE

from __future__ import annotations

import copy
import math
import sys
import time
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlparse

import sqlalchemy as sa
from singer_sdk import typing as th
from singer_sdk.mapper import SameRecordTransform
from singer_sdk.singerlib.exceptions import InvalidInputLine
from singer_sdk.target_base import Target
from sqlalchemy.engine import URL
from typing_extensions import override

from tap_pinterest.mirror.db.database import DEFAULT_URL, SUPPORTED, DatabaseError, write_failed
from tap_pinterest.mirror.db.errors import InputError
from tap_pinterest.mirror.db.types import Batch, StreamInfo
from tap_pinterest.mirror.load.ingest import MirrorReader, RawRecord
from tap_pinterest.mirror.load.lanes import POSTGRES_LANES, WriteLanes
from tap_pinterest.mirror.load.scope import Scope, read_scope
from tap_pinterest.mirror.load.sink import MirrorSink
from tap_pinterest.mirror.load.writer import Writer

#: Default least time between two STATE messages the target writes (each commits first):
#: as long as a writer lane's longest transaction (`load.lanes.COMMIT_SECONDS`).
STATE_SECONDS = 30.0
#: How long a thread may hold the GIL while another waits for it (Python's default is
#: 5 ms). The writer thread needs the GIL for a moment after each statement it sends, and
#: while the main thread parses the next batch it waited up to 5 ms each time, with the
#: database idle: at 0.5 ms PostgreSQL loaded 13% more records a second.
SWITCH_INTERVAL = 0.0005
#: The clock of the STATE interval (tests replace it).
clock = time.monotonic


class TargetPinterestMirror(Target):
    """Loads Singer streams into the searchable mirror (SQLite or PostgreSQL)."""

    name = "target-pinterest-mirror"
    default_sink_class = MirrorSink
    message_reader_class = MirrorReader
    config_jsonschema = th.PropertiesList(
        th.Property(
            "database_url",
            th.StringType,
            default=DEFAULT_URL,
            description=(
                f"SQLAlchemy URL of the mirror: {SUPPORTED}. A relative SQLite path is "
                "relative to the working directory; the target creates its directory."
            ),
        ),
        th.Property(
            "validate_records",
            th.BooleanType,
            default=False,
            description="Validate every record against its stream's schema (slower).",
        ),
        th.Property(
            "batch_directories",
            th.ArrayType(th.StringType),
            default=[],
            description=(
                "Directories the files of BATCH messages may be read from. Empty (the "
                "default): BATCH messages are refused."
            ),
        ),
        th.Property(
            "state_interval_seconds",
            th.NumberType(minimum=0),
            default=STATE_SECONDS,
            description=(
                "Least time between two STATE messages the target writes; each one "
                "commits the records before it first. A STATE the tap sends sooner is "
                "held back until the interval is over (or the end), then written if it "
                "is still the latest. 0 writes every STATE."
            ),
        ),
    ).to_dict()
    #: The settings of this target, without those the SDK adds to `config_jsonschema`.
    own_settings: ClassVar[dict[str, Any]] = copy.deepcopy(config_jsonschema["properties"])
    #: The database the command line's target opened, for the error line `invoke` writes
    #: when a write fails (`Target.listen`, where the target knows its URL, is final).
    _opened: ClassVar[URL | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._emitted_state: dict[str, Any] | None = None
        self._state_waiting = False  # a STATE came that is not written yet
        self._state_written_at = -math.inf
        #: The scope of the ACTIVATE_VERSION being applied (None: the whole stream).
        self.activation_scope: Scope | None = None
        super().__init__(*args, **kwargs)
        _ = self.store  # a database_url that cannot be used fails now, before any input
        self.max_parallelism = 1  # one stream drains at a time: its lanes write in parallel
        if isinstance(self.message_reader, MirrorReader):
            # while the tap is quiet (a long analytics report, a rate-limit wait), a STATE
            # held back by `state_interval_seconds` is still written once it comes due
            self.message_reader.idle_after = self._state_due_in
            self.message_reader.on_idle = self._drain_if_state_due

    @classmethod
    @override
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        """The command line: a database that cannot be used, or that fails a write, is
        one error line (the traceback is logged at debug level: LOGLEVEL=debug) and exit
        status 1."""
        sys.setswitchinterval(SWITCH_INTERVAL)  # the target's own process
        try:
            try:
                super().invoke(*args, **kwargs)
            except sa.exc.DBAPIError as failed:
                raise write_failed(cls._opened, failed) from failed
        except (DatabaseError, InputError) as error:
            cls.logger.debug("The database error in full:", exc_info=error)
            cls.logger.error("%s", error)
            sys.exit(1)

    @cached_property
    def store(self) -> Writer:
        """The mirror's store, shared by every sink (raises `DatabaseError`)."""
        url = self.config.get("database_url") or DEFAULT_URL
        store = Writer.open(url, writer=True)
        type(self)._opened = store.engine.url
        return store

    @cached_property
    def lanes(self) -> WriteLanes:
        """The writer threads (`load.lanes`): one on SQLite, `POSTGRES_LANES` on
        PostgreSQL."""
        count = POSTGRES_LANES if self.store.dialect == "postgresql" else 1
        return WriteLanes(self.store, count)

    def write(self, info: StreamInfo, batches: list[Batch]) -> None:
        """Upsert a stream's batch, split by key into one part per lane (`load.lanes`).
        The database work runs while the next batch is parsed; a failed write is raised
        here or by `wait_for_writes`."""
        self.lanes.write(info, batches)

    def wait_for_writes(self) -> None:
        """Block until every submitted write is committed (raising the first failure)."""
        self.lanes.wait()

    @override
    def _process_record_message(self, message_dict: dict[str, Any]) -> None:
        """A RECORD: its JSON text goes straight to the sink when the stream needs none of
        the SDK's per-record work (no stream map, flattening or validation); otherwise
        the record is parsed and takes the SDK's path."""
        record = message_dict.get("record")
        if isinstance(record, RawRecord):
            sink = self._raw_record_sink(message_dict.get("stream"))
            if sink is not None:
                sink.process_raw_record(record.text, message_dict.get("version"))
                if sink.is_full:
                    self.drain_one(sink)
                self._handle_max_record_age()
                return
            message_dict["record"] = record.decode()
        super()._process_record_message(message_dict)

    def _raw_record_sink(self, stream: Any) -> MirrorSink | None:
        maps = self.mapper.stream_maps.get(stream) if isinstance(stream, str) else None
        if not maps or len(maps) != 1 or self.config.get("validate_records", False):
            return None
        stream_map = maps[0]
        if (
            type(stream_map) is not SameRecordTransform
            or stream_map.flattening_enabled
            or stream_map.stream_alias != stream
            or not self.sink_exists(stream)
        ):
            return None
        sink = self.get_sink(stream)
        return sink if isinstance(sink, MirrorSink) else None

    @override
    def _process_activate_version_message(self, message_dict: dict[str, Any]) -> None:
        """Only for a stream a SCHEMA declared, with an integer version; with the scope of
        a shard's sync (`load.scope`) for the sinks."""
        self._assert_line_requires(message_dict, requires={"stream", "version"})
        if message_dict["stream"] not in self.mapper.stream_maps:
            msg = "ACTIVATE_VERSION for a stream that no SCHEMA message declared before it"
            raise InvalidInputLine(msg)
        version = message_dict["version"]
        if isinstance(version, bool) or not isinstance(version, int):
            msg = f"ACTIVATE_VERSION's version must be an integer, got {version!r:.50}"
            raise InvalidInputLine(msg)
        self.activation_scope = read_scope(message_dict)
        try:
            super()._process_activate_version_message(message_dict)
        finally:
            self.activation_scope = None

    @override
    def _process_batch_message(self, message_dict: dict[str, Any]) -> None:
        """Only files inside `batch_directories`, of a stream a SCHEMA declared."""
        self._assert_line_requires(message_dict, requires={"stream", "encoding", "manifest"})
        allowed = [Path(d).resolve() for d in self.config.get("batch_directories") or []]
        if not allowed:
            msg = (
                "BATCH messages are refused: set batch_directories to the directories "
                "their files may be read from"
            )
            raise InvalidInputLine(msg)
        if message_dict["stream"] not in self.mapper.stream_maps:
            msg = "BATCH for a stream that no SCHEMA message declared before it"
            raise InvalidInputLine(msg)
        manifest = message_dict["manifest"]
        if not isinstance(manifest, list):
            msg = "a BATCH message's manifest must be a list of file URLs"
            raise InvalidInputLine(msg)
        for url in manifest:
            _check_batch_file(url, allowed)
        super()._process_batch_message(message_dict)

    @override
    def process_endofpipe(self) -> None:
        """At the end of the input: commit and write the latest STATE, then bring each
        table's indexes and statistics up to date (`MirrorSink.clean_up`), then close
        every connection (left to the garbage collector, psycopg warns of each at exit).

        The STATE comes before the indexes: the records it covers are committed, and the
        builds after a new table's first load of 10M pins take about 100 s on
        PostgreSQL. A load stopped during them resumes from that STATE, and the next
        load to end builds what is missing (`load.indexing`)."""
        try:
            # the sinks a schema change replaced: `drain_all` drains and drops them, and
            # only the end-of-input drain would have cleaned them up
            replaced = list(self._sinks_to_clear)
            self.drain_all()
            for sink in replaced:
                sink.clean_up()
            super().process_endofpipe()
            self.wait_for_writes()
        finally:
            try:
                self.lanes.close()
            finally:
                self.store.engine.dispose()

    @override
    def _write_state_message(self, state: dict[str, Any]) -> None:
        """Write a STATE once every record before it is committed (and only once: the
        end-of-input drain would repeat the last one)."""
        self.wait_for_writes()
        self._state_waiting = False
        self._state_written_at = clock()
        if state != self._emitted_state:
            self._emitted_state = state
            super()._write_state_message(state)

    @override
    def _process_state_message(self, message_dict: dict[str, Any]) -> None:
        """Keep the STATE; commit every pending record and write it when it is due."""
        before = self._latest_state
        super()._process_state_message(message_dict)
        if self._latest_state != before:
            self._state_waiting = True
            self._drain_if_state_due()

    @override
    def _handle_max_record_age(self) -> None:
        """After every record: the SDK's drain by record age, and a STATE that is due."""
        super()._handle_max_record_age()
        if self._state_waiting:
            self._drain_if_state_due()

    def _state_interval(self) -> float:
        interval = self.config.get("state_interval_seconds")
        return STATE_SECONDS if interval is None else float(interval)

    def _state_due_in(self) -> float | None:
        """Seconds until the STATE held back is due (None: no STATE is held back)."""
        if not self._state_waiting:
            return None
        return max(0.0, self._state_written_at + self._state_interval() - clock())

    def _drain_if_state_due(self) -> None:
        if self._state_waiting and clock() - self._state_written_at >= self._state_interval():
            self.drain_all()  # writes the latest STATE once the records are committed


def _check_batch_file(url: Any, allowed: list[Path]) -> None:
    """A BATCH file must be a local `file://` URL inside one of the allowed directories
    (symbolic links and `..` resolved first)."""
    parsed = urlparse(url) if isinstance(url, str) else None
    if parsed is None or parsed.scheme != "file" or parsed.netloc not in {"", "localhost"}:
        msg = f"a BATCH file must be a file:// URL inside batch_directories, got {url!r:.200}"
        raise InvalidInputLine(msg)
    path = Path(unquote(parsed.path)).resolve()
    if not any(path.is_relative_to(directory) for directory in allowed):
        shown = ", ".join(str(d) for d in allowed)
        msg = f"BATCH file {str(path)!r} is outside batch_directories ({shown}); not read"
        raise InvalidInputLine(msg)
