"""`target-pinterest-mirror`: a Singer target that keeps the mirror current.

- RECORD: upserted on the SCHEMA's key_properties, in batches (one transaction each);
- SCHEMA: creates the stream's table, or adds the columns of fields a schema gained;
- STATE: every sink is drained (committed) before the STATE is written to stdout;
- ACTIVATE_VERSION: the records before it are committed, then the rows of older versions
  (rows a full-table sync no longer returned) are deleted. tap-pinterest sends it once a
  stream has synced in full, so a sync cut short deletes nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cached_property
from typing import Any

from singer_sdk import typing as th
from singer_sdk.sinks import BatchSink
from singer_sdk.target_base import Target

from tap_pinterest.mirror import dialects
from tap_pinterest.mirror.api import DEFAULT_URL
from tap_pinterest.mirror.store import Store

_SDC_FIELDS = (
    "_sdc_extracted_at",
    "_sdc_received_at",
    "_sdc_batched_at",
    "_sdc_sequence",
    "_sdc_sync_started_at",
)


MAX_PENDING_WRITES = 2


class MirrorSink(BatchSink):
    """Upserts one stream's records into its mirror table."""

    MAX_SIZE_DEFAULT = 5000

    def __init__(
        self,
        target: TargetPinterestMirror,
        stream_name: str,
        schema: dict[str, Any],
        key_properties: list[str] | None,
    ) -> None:
        super().__init__(target, stream_name, schema, key_properties)
        self._target = target
        self._info = target.store.ensure_stream(
            stream_name, self.original_schema, list(key_properties or [])
        )
        self._rows: dict[str, tuple[str, int | None, str | None]] = {}
        # Records are stored verbatim: with no top-level properties to look at, the SDK
        # neither parses date-time strings nor spends time walking every record's keys.
        self.schema = {"type": "object", "properties": {}, "additionalProperties": True}

    @property
    def include_sdc_metadata_properties(self) -> bool:
        """Always on: the RECORD's `version` arrives as `_sdc_table_version`."""
        return True

    @property
    def validate_schema(self) -> bool:
        """Off unless `validate_records` is set: the tap's records follow its schemas."""
        return bool(self.config.get("validate_records", False))

    def process_record(self, record: dict[str, Any], context: dict[str, Any]) -> None:
        version = record.pop("_sdc_table_version", None)
        deleted = record.pop("_sdc_deleted_at", None) is not None
        for name in _SDC_FIELDS:
            record.pop(name, None)
        pk = self._info.pk_of(record)
        # serialized here, on the main thread, while the writer thread runs the database
        self._rows[pk] = (pk, version, None if deleted else dialects.dumps(record))

    def process_batch(self, context: dict[str, Any]) -> None:
        self.flush()

    def flush(self) -> None:
        """Write the buffered rows in one transaction."""
        if not self._rows:
            return
        rows = list(self._rows.values())
        self._rows = {}
        self._target.write(self._target.store.upsert, self._info, rows)
        self.tally_record_written(len(rows))

    def activate_version(self, new_version: int) -> None:
        """Commit the records before it, then delete the rows older than `new_version`."""
        self.flush()
        self._target.wait_for_writes()
        deleted = self._target.store.activate_version(self._info, new_version)
        self.logger.info(
            "ACTIVATE_VERSION %s: deleted %d stale records from %s",
            new_version,
            deleted,
            self.stream_name,
        )

    def clean_up(self) -> None:
        """At the end of the input: write what is still buffered."""
        self.flush()
        self._target.wait_for_writes()
        super().clean_up()


class TargetPinterestMirror(Target):
    """Loads Singer streams into the searchable mirror (SQLite or PostgreSQL)."""

    name = "target-pinterest-mirror"
    default_sink_class = MirrorSink
    config_jsonschema = th.PropertiesList(
        th.Property(
            "database_url",
            th.StringType,
            default=DEFAULT_URL,
            description=(
                "SQLAlchemy URL of the mirror: sqlite:///<file> (default "
                f"{DEFAULT_URL}) or postgresql+psycopg://user@host:port/db"
            ),
        ),
        th.Property(
            "validate_records",
            th.BooleanType,
            default=False,
            description="Validate every record against its stream's schema (slower).",
        ),
    ).to_dict()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._emitted_state: dict[str, Any] | None = None
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mirror-writer")
        self._pending: deque[Future[None]] = deque()
        super().__init__(*args, **kwargs)
        self.max_parallelism = 1  # one writer: SQLite has a single write lock anyway

    @cached_property
    def store(self) -> Store:
        """The mirror's store, shared by every sink."""
        url = self.config.get("database_url") or DEFAULT_URL
        return Store(dialects.make_engine(url, writer=True))

    def write(self, function: Callable[..., None], *args: Any) -> None:
        """Run a write on the writer thread, in submission order.

        The database work of a batch runs while the next batch is parsed; at most
        `MAX_PENDING_WRITES` batches wait, so memory stays flat. A failed write is raised
        here or by `wait_for_writes`.
        """
        while len(self._pending) >= MAX_PENDING_WRITES:
            self._pending.popleft().result()
        self._pending.append(self._writer.submit(function, *args))

    def wait_for_writes(self) -> None:
        """Block until every submitted write is committed (raising the first failure)."""
        while self._pending:
            self._pending.popleft().result()

    def process_endofpipe(self) -> None:
        super().process_endofpipe()
        self.wait_for_writes()
        self._writer.shutdown()

    def _write_state_message(self, state: dict[str, Any]) -> None:
        """Write a STATE once every record before it is committed (and only once: the
        end-of-input drain would repeat the last one)."""
        self.wait_for_writes()
        if state != self._emitted_state:
            self._emitted_state = state
            super()._write_state_message(state)

    def _process_state_message(self, message_dict: dict[str, Any]) -> None:
        """Commit every pending record, then emit the STATE (drain_all writes it)."""
        before = self._latest_state
        super()._process_state_message(message_dict)
        if self._latest_state != before:
            self.drain_all()
