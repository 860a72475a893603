"""OutputStream: what the tap's streams write, and when.

The SDK's defaults, changed where a sync at scale needs it:

- SCHEMA once per stream and run (the SDK sends it for every parent record);
- STATE at most every few seconds, always after the records it covers, once more at the
  end of every top-level stream, and at once when a sync fails (the SDK writes the whole
  state after every partition: with 900 ad accounts, that grew with their square);
- RECORD lines straight from the API's JSON when the SDK's per-record work would change
  nothing (every property selected, no stream map, no field outside the schema);
- ACTIVATE_VERSION held back until a stream and all its partitions synced in full.
"""

# Private singer-sdk members used here (tests/test_sdk_coupling.py checks this list):
#   Stream._tap: the tap instance, for the run state and the other streams of the run
#   Stream._write_activate_version_message: overridden to hold ACTIVATE_VERSION back
#   Stream._write_schema_message: SCHEMA once per stream and run, not once per parent
#   Stream._write_state_message: STATE at a bounded rate, not after every partition
#   Stream._write_record_message: the lean path for records that need no SDK work
#   Stream._stream_version: the table version a RECORD carries
#   Stream._generate_schema_messages: the SCHEMA messages, to write each one once

from __future__ import annotations

import datetime as dt
import typing as t

from singer_sdk import RESTStream, metrics
from singer_sdk.mapper import RemoveRecordTransform, SameRecordTransform
from singer_sdk.singerlib.encoding.simple import RecordMessage
from typing_extensions import override

from tap_pinterest.output import FastSingerWriter
from tap_pinterest.reporting import SyncTimer
from tap_pinterest.run_state import RunState
from tap_pinterest.scoping import ScopedActivateVersionMessage, deletion_scope

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Record

    from tap_pinterest.stopping import StopRequest

#: False sends every record through the SDK's path (tests compare the two).
LEAN_RECORDS = True


def _tree(stream: OutputStream) -> list[OutputStream]:
    """The stream and all its descendants, parents first."""
    out = [stream]
    for child in stream.child_streams:
        out += _tree(t.cast("OutputStream", child))
    return out


class RunTap(t.Protocol):
    """What the streams need of their tap (TapPinterest)."""

    run_state: RunState
    stop_request: StopRequest


class OutputStream(RESTStream[str | None]):
    """The Singer output of a Pinterest stream (see the module)."""

    #: False for endpoints the sandbox does not serve (audiences, customer lists, ...).
    sandbox_supported: t.ClassVar[bool] = True
    #: The record field naming the ad account, in the ad-account tree: a sync narrowed by
    #: ``ad_account_ids`` scopes its deletions to them (:mod:`tap_pinterest.scoping`).
    scope_field: t.ClassVar[str | None] = None
    #: The table version of this run, once a partition of the stream started syncing.
    _held_version: int | None = None
    #: Whether the lean record path applies (decided at the first record).
    _lean: bool | None = None
    #: The schema's top-level properties (set with the lean path's decision).
    _properties: frozenset[str] = frozenset()

    @property
    def run_state(self) -> RunState:
        """The state shared by this tap run's streams."""
        return t.cast("RunTap", self._tap).run_state

    @property
    def in_sandbox(self) -> bool:
        """True when ``api_url`` points at Pinterest's sandbox."""
        return "api-sandbox." in self.url_base

    @override
    def get_sync_timer(self) -> metrics.Timer:
        """The SDK's timer, except that the dry run's record limit is no failure."""
        timer = super().get_sync_timer()
        return SyncTimer(
            timer.metric,
            timer.tags,
            on_failure=self._write_state_reached,
            on_exit=self._flush_output,
        )

    def _flush_output(self) -> None:
        """At the end of a stream's partition: the buffered RECORD lines go out."""
        writer = getattr(self._tap, "message_writer", None)
        if isinstance(writer, FastSingerWriter):
            writer.flush()

    def _write_state_reached(self) -> None:
        """After a failure: the state the sync reached, which covers every record written
        (the partitions done keep their bookmarks; the next run resumes from them)."""
        super()._write_state_message()

    @override
    def _write_activate_version_message(self, full_table_version: int) -> None:
        """Hold ACTIVATE_VERSION back until the whole stream has synced.

        The SDK sends it as each partition starts. A target applies it by deleting the
        rows of older versions, so sent then, it deletes every row not re-sent yet, and a
        sync cut short loses them. ``finalize_state_progress_markers`` sends it instead,
        once the stream and all its partitions have synced without error.
        """
        self._held_version = full_table_version

    @override
    def _write_schema_message(self) -> None:
        """SCHEMA once per stream and run (again only if it changed), not once per parent
        record as the SDK sends it: with 900 ad accounts that was 900 per child stream."""
        written = self.run_state.schemas_written
        for message in self._generate_schema_messages():
            if written.get(message.stream) != message.schema:
                written[message.stream] = message.schema
                self._tap.write_message(message)

    @override
    def _write_state_message(self) -> None:
        """STATE at most once every ``STATE_SECONDS``: the SDK writes the whole state after
        every partition, which grows with the square of the number of ad accounts. A STATE
        is written only after the records it covers, and each top-level stream ends with
        one (``finalize_state_progress_markers``), so the last one covers the whole run."""
        if self.run_state.state_due() or self.run_state.final_state:
            super()._write_state_message()
            if self.state_manager.is_flushed:
                self.run_state.state_written()

    @override
    def _write_record_message(self, record: Record) -> None:
        """The SDK's record path, or the lean one when it would change nothing: every
        property selected, no stream map but the stream itself, and no field outside the
        schema (the SDK drops those, with a warning). Records are the API's JSON as parsed,
        typed as the schema says (tests/tap/test_lean_records.py compares both paths)."""
        if self._lean is None:
            self._lean = self._lean_records_possible()
        if not self._lean or not record.keys() <= self._properties:
            super()._write_record_message(record)
            return
        self._tap.write_message(
            RecordMessage(
                stream=self.name,
                record=record,
                version=self._stream_version,
                time_extracted=dt.datetime.now(dt.UTC),
            )
        )
        self.state_manager.is_flushed = False

    def _lean_records_possible(self) -> bool:
        self._properties = frozenset(self.schema["properties"])
        maps = self.stream_maps
        return (
            LEAN_RECORDS
            and len(maps) == 1
            and type(maps[0]) is SameRecordTransform
            and maps[0].stream_alias == self.name
            and not maps[0].flattening_enabled
            and all(self.mask.get(("properties", name), True) for name in self._properties)
        )

    @override
    def finalize_state_progress_markers(self, state: dict[str, t.Any] | None = None) -> None:
        """After a top-level stream synced (children included): send ACTIVATE_VERSION.

        The SDK calls this on a top-level stream only once its sync has returned, so an
        error anywhere in the stream's tree means no ACTIVATE_VERSION and no deletion.
        """
        top = self.parent_stream_type is None and not state
        if top:
            self.run_state.final_state = True
        try:
            super().finalize_state_progress_markers(state)
        finally:
            if top:
                self.run_state.final_state = False
        if top:
            for stream in _tree(self):
                stream.activate_synced_version()
                for line in stream.run_summary():
                    self.logger.warning("%s", line)

    def activate_synced_version(self) -> None:
        """Send this run's ACTIVATE_VERSION, if this stream takes one (after a full sync),
        scoped to the configured ad accounts in a shard (:mod:`tap_pinterest.scoping`)."""
        if not (
            self.selected
            and self.emit_activate_version_messages
            and self.replication_method == "FULL_TABLE"
            and self.ABORT_AT_RECORD_COUNT is None
            and self.served
        ):
            return
        if self._held_version is None:
            # No partition ran (the parent had no records): the stream now has no
            # records at all; the target needs the SCHEMA before ACTIVATE_VERSION.
            self._write_schema_message()
        version = self._held_version or self._tap.initialized_at // 1000
        scope = deletion_scope(self.scope_field, self.config)
        for stream_map in self.stream_maps:
            if not isinstance(stream_map, RemoveRecordTransform):
                self._tap.write_message(
                    ScopedActivateVersionMessage(stream_map.stream_alias, version, scope)
                )

    def run_summary(self) -> list[str]:
        """Lines for the end of the stream's sync: what it repaired or skipped."""
        return []

    @property
    def served(self) -> bool:
        """False for an endpoint the sandbox does not serve, when syncing the sandbox."""
        return not (self.in_sandbox and not self.sandbox_supported)

    def skipped_in_sandbox(self) -> bool:
        """True, with a warning, when the endpoint is not served (:attr:`served`)."""
        if self.served:
            return False
        self.logger.warning(
            "Stream '%s' is skipped: the Pinterest sandbox does not serve %s", self.name, self.path
        )
        return True
