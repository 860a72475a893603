"""`WriteLanes`: the target's writer threads, each with its own connection and open
transaction.

SQLite has one write lock, so it gets one lane. PostgreSQL gets `POSTGRES_LANES`: one
backend process per lane, so a load uses more than one core of the server (one backend
spent 45% of its time inserting index entries and 30% in COPY, at 0.8 of a core). A
batch's rows are split between the lanes by key (`load.rows.RowEncoder`): a key always
goes to the same lane, so the writes of one key keep their order, and no lane ever waits
for a row lock another lane holds.

A lane runs its batches in one long transaction, committed once it holds `COMMIT_ROWS`
records (shared out between the lanes) or is `COMMIT_SECONDS` old: each commit rewrites
every index page the transaction touched, so fewer commits write far less. That counts
most for an index whose keys come in random order (`created_at`: a board's pins were
created over years). Once it outgrows the page cache, a transaction of n records
touches up to n of its pages, and writes each once however many of the records it took.
On SQLite (which writes a page to the WAL, then again at the checkpoint) 10,000,000
pins loaded at 23,299 records/s with a commit every 100,000 records, the last million
at 62% of the first's rate, and at 26,794 with a commit every 30 s, the last million at
75% (docs/performance.md). The target's STATE interval (`state_interval_seconds`) is
as long by default, since each STATE it writes commits first. A lane keeps one
connection for the whole run, so its page cache stays warm from one transaction to the
next. The time a stream was last loaded (`Writer.touch`) is written as a lane commits,
in stream order: two lanes then lock a stream's catalog row only for a commit's length,
and always in the same order.

`wait()` commits every lane: the target calls it before it writes a STATE, changes a
table or deletes (ACTIVATE_VERSION), so what it announces is committed on every lane. A
failed batch stops every lane: no batch after it is written, and the failure is raised.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from tap_pinterest.mirror.db.types import Batch, StreamInfo
    from tap_pinterest.mirror.load.writer import Writer

logger = logging.getLogger(__name__)

#: PostgreSQL's lanes (SQLite has one). More would not help on the 2-core machines the
#: benchmarks run on: both cores are busy, the target's main thread with about half of
#: one and the backends with the rest (docs/performance.md).
POSTGRES_LANES = 2
#: Batches each lane may have waiting, so the target's memory stays flat.
MAX_PENDING_WRITES = 2
#: A lane commits once its open transaction holds its share of this many records (the
#: lanes share it equally), or once it is this old.
COMMIT_ROWS = 1_000_000
COMMIT_SECONDS = 30.0


class _Lane:
    """One writer thread, its kept connection and its open transaction."""

    def __init__(self, store: Writer, index: int) -> None:
        self.store = store
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"mirror-writer-{index}")
        self.kept: Connection | None = None
        self.conn: Connection | None = None  # set while a transaction is open
        self.uncommitted = 0
        self.began = 0.0
        self.touched: dict[str, StreamInfo] = {}

    def begin(self) -> Connection:
        if self.conn is None:
            if self.kept is None:
                self.kept = self.store.engine.connect()
            self.conn = self.kept
            self.conn.begin()
            self.began = time.monotonic()
        return self.conn

    def commit(self) -> None:
        conn, self.conn, self.uncommitted = self.conn, None, 0
        touched, self.touched = self.touched, {}
        if conn is not None:
            self.store.touch(conn, [touched[name] for name in sorted(touched)])
            conn.commit()

    def run(self, statements: list[Any]) -> None:
        """Run `statements` in one transaction of their own."""
        conn = self.begin()
        try:
            for statement in statements:
                conn.execute(statement)
        except BaseException:
            self.rollback()
            raise
        self.commit()

    def rollback(self) -> None:
        conn, self.conn, self.uncommitted, self.touched = self.conn, None, 0, {}
        if conn is not None:
            conn.rollback()

    def close(self) -> None:
        """At the end: roll back what is left open (only after a failure), and close."""
        self.rollback()
        kept, self.kept = self.kept, None
        if kept is not None:
            kept.close()


class WriteLanes:
    """Runs batches on `count` lanes, each lane in submission order."""

    def __init__(self, store: Writer, count: int) -> None:
        self.store = store
        self._lanes = [_Lane(store, i) for i in range(count)]
        self._pending: deque[Future[None]] = deque()
        self._failure: BaseException | None = None
        self._commit_rows = max(1, COMMIT_ROWS // count)

    def __len__(self) -> int:
        return len(self._lanes)

    def write(self, info: StreamInfo, batches: list[Batch]) -> None:
        """Upsert `batches[i]` on lane i (`Writer.upsert`); an empty batch is skipped. A
        failed write is raised here or by `wait`."""
        for lane, batch in zip(self._lanes, batches, strict=True):
            if not batch.count:
                continue
            while len(self._pending) >= MAX_PENDING_WRITES * len(self._lanes):
                self._result(self._pending.popleft())
            self._pending.append(lane.thread.submit(self._run, lane, info, batch))

    def _run(self, lane: _Lane, info: StreamInfo, batch: Batch) -> None:
        """On the lane's thread: one batch in its open transaction; commit when due."""
        if self._failure is not None:
            lane.rollback()
            raise self._failure  # the batches after a failed one are not written either
        try:
            self.store.upsert(lane.begin(), info, batch)
        except BaseException as exc:
            self._failure = exc
            lane.rollback()
            raise
        lane.touched[info.name] = info
        lane.uncommitted += batch.count
        if lane.uncommitted >= self._commit_rows or time.monotonic() - lane.began > COMMIT_SECONDS:
            lane.commit()

    def run_groups(self, groups: list[list[Any]]) -> None:
        """Run each group of statements in a transaction of its own on a lane, and wait
        for them all (a step of `Writer.maintenance`). The groups are dealt out to the
        lanes in turn, so the first ones (the longest) start at once. Call it with
        nothing else submitted (after `wait`)."""
        lanes = self._lanes
        runs = [(lanes[i % len(lanes)], group) for i, group in enumerate(groups)]
        _all_done([lane.thread.submit(_Lane.run, lane, group) for lane, group in runs])

    def wait(self) -> None:
        """Block until every submitted batch is committed, on every lane (raising the
        first failure)."""
        while self._pending:
            self._result(self._pending.popleft())
        try:
            self._on_every_lane(_Lane.commit)
        except BaseException:
            self._abandon()
            raise

    def _result(self, future: Future[None]) -> None:
        """A batch's outcome; if it failed, every lane's open transaction is rolled back
        and its connection closed before the failure is raised (the other lanes may hold
        rows of the batches before it, uncommitted)."""
        try:
            future.result()
        except BaseException:
            self._abandon()
            raise

    def _abandon(self) -> None:
        futures = [lane.thread.submit(_Lane.close, lane) for lane in self._lanes]
        for future in futures:
            if (error := future.exception()) is not None:  # the failure is raised: not this
                logger.debug("A writer lane could not be closed after a failure: %s", error)

    def close(self) -> None:
        """Close every lane's connection and stop its thread."""
        try:
            self._on_every_lane(_Lane.close)
        finally:
            for lane in self._lanes:
                lane.thread.shutdown()

    def _on_every_lane(self, step: Callable[[_Lane], None]) -> None:
        _all_done([lane.thread.submit(step, lane) for lane in self._lanes])


def _all_done(futures: list[Future[None]]) -> None:
    """Wait for every one of `futures`, then raise the first failure (in their order)."""
    wait(futures)
    for future in futures:
        future.result()
