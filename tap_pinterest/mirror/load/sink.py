"""MirrorSink: one stream's records, upserted into its mirror table in batches.

The target (`load.target`) owns the writer thread and the store; a sink encodes its
stream's rows (`load.rows.RowEncoder`) and hands each batch to the target's writer.
"""

from __future__ import annotations

import time
import typing as t
from typing import Any

from singer_sdk.singerlib.exceptions import InvalidInputLine
from singer_sdk.sinks import BatchSink
from typing_extensions import override

from tap_pinterest.mirror.load.rows import RowEncoder

if t.TYPE_CHECKING:
    from singer_sdk.target_base import Target

    from tap_pinterest.mirror.db.types import Batch, StreamInfo
    from tap_pinterest.mirror.load.lanes import WriteLanes
    from tap_pinterest.mirror.load.scope import Scope
    from tap_pinterest.mirror.load.writer import Writer


class Loader(t.Protocol):
    """What a sink needs of its target (`load.target.TargetPinterestMirror`)."""

    @property
    def store(self) -> Writer: ...

    activation_scope: Scope | None

    @property
    def lanes(self) -> WriteLanes: ...

    def write(self, info: StreamInfo, batches: list[Batch]) -> None: ...

    def wait_for_writes(self) -> None: ...


class MirrorSink(BatchSink):
    """Upserts one stream's records into its mirror table."""

    #: Records per batch and writer lane, unless `batch_size_rows` is set: a batch is
    #: 2,500 records on SQLite and 5,000 on PostgreSQL (2,500 for each of its lanes:
    #: each batch costs a lane a few statements, planned anew, on top of its rows).
    MAX_SIZE_DEFAULT = 2_500

    def __init__(
        self,
        target: Target,
        stream_name: str,
        schema: dict[str, Any],
        key_properties: list[str] | None,
    ) -> None:
        super().__init__(target, stream_name, schema, key_properties)
        self._target = loader = t.cast("Loader", target)
        self._default_size = self.MAX_SIZE_DEFAULT * len(loader.lanes)
        loader.wait_for_writes()  # the writer's open transaction holds SQLite's write lock
        self._info = loader.store.ensure_stream(
            stream_name, self.original_schema, list(key_properties or [])
        )
        self._copy = loader.store.dialect == "postgresql"
        self._rows = RowEncoder(self._info, copy=self._copy, lanes=len(loader.lanes))
        self._written = 0
        # Records are stored verbatim: with no top-level properties to look at, the SDK
        # neither parses date-time strings nor spends time walking every record's keys.
        self.schema = {"type": "object", "properties": {}, "additionalProperties": True}

    @property
    @override
    def max_size(self) -> int:
        """`batch_size_rows` if set, else `MAX_SIZE_DEFAULT` for each writer lane."""
        size = self.batch_size_rows
        return self._default_size if size is None else size

    @property
    @override
    def include_sdc_metadata_properties(self) -> bool:
        """Always on: the RECORD's `version` arrives as `_sdc_table_version`."""
        return True

    @property
    @override
    def validate_schema(self) -> bool:
        """Off unless `validate_records` is set: the tap's records follow its schemas."""
        return bool(self.config.get("validate_records", False))

    @override
    def process_record(self, record: dict[str, Any], context: dict[str, Any]) -> None:
        """The SDK's record path (stream maps, flattening or validation configured)."""
        self._rows.add_record(record, record.pop("_sdc_table_version", None))

    def process_raw_record(self, text: bytes, version: int | None) -> None:
        """A record as JSON text, straight from the input (`TargetPinterestMirror`)."""
        self.tally_record_read()
        self._rows.add(text, version)
        self.record_counter_metric.increment()

    @override
    def process_batch(self, context: dict[str, Any]) -> None:
        """Write what is buffered, and the records of a BATCH message's file if any."""
        for record in context.get("records") or ():
            if not isinstance(record, dict):
                msg = f"a record of a BATCH file must be a JSON object, got: {record!r:.200}"
                raise InvalidInputLine(msg)
            self._rows.add_record(record, None)
        self.flush()

    def flush(self) -> None:
        """Hand the buffered rows to the writer lanes (`load.lanes`), split by key."""
        if not self._rows:
            return
        store = self._target.store
        rowids = store.reserve_rowids(self._info, len(self._rows)) if self._copy else None
        batches = self._rows.take(rowids)
        self._target.write(self._info, batches)
        count = sum(batch.count for batch in batches)
        self.tally_record_written(count)
        self._written += count

    @override
    def activate_version(self, new_version: int) -> None:
        """Commit the records before it, then delete the rows older than `new_version`
        (within the message's scope, if it has one: `load.scope`)."""
        self.flush()
        self._target.wait_for_writes()
        scope = self._target.activation_scope
        deleted = self._target.store.activate_version(self._info, new_version, scope)
        self.logger.info(
            "ACTIVATE_VERSION %s: deleted %d stale records from %s%s",
            new_version,
            deleted,
            self.stream_name,
            "" if scope is None else f" within {', '.join(sorted(scope))} of this shard",
        )

    @override
    def clean_up(self) -> None:
        """At the end of the input: write what is still buffered, then build the search
        indexes the table lacks (`load.indexing`) and, if records were written, refresh
        its planner statistics."""
        self.flush()
        self._target.wait_for_writes()
        store, lanes = self._target.store, self._target.lanes
        if self._written or store.missing_indexes(self._info):
            started = time.monotonic()
            steps = store.maintenance(self._info, len(lanes))  # none on SQLite
            for step in steps:
                lanes.run_groups(step)
            if steps:
                self.logger.info(
                    "Stream '%s': indexes and planner statistics brought up to date in %.1f s",
                    self.stream_name,
                    time.monotonic() - started,
                )
            if left := store.missing_indexes(self._info):
                self.logger.warning(
                    "Stream '%s': the indexes %s are not built yet: another load held the "
                    "table. The next load to end builds them; until then, "
                    "searches on those fields read the whole table.",
                    self.stream_name,
                    ", ".join(left),
                )
        super().clean_up()
