"""Concurrent fan-out: the pages of several request contexts fetched at once, read in order.

A sync is bound by the API's latency, and the pages of one context follow each other
(each page's bookmark names the next), so the speed-up comes from fetching different
contexts at once: the pins of the next boards while this board's are written, the
campaigns of the next ad accounts, the next analytics batches.

Only HTTP runs on the worker threads. Every record is still read, processed and written
on the main thread, in the order a sequential sync writes them, so the Singer output
(SCHEMA, RECORD and STATE, and what each STATE covers) is the same at any concurrency.

- :meth:`FanOut.start` begins fetching one context ahead; :meth:`FanOut.take` hands the
  prefetch to whoever asks for that context next.
- :meth:`FanOut.ordered` reads a sequence of contexts in order, ``width`` of them in flight.
- A prefetch holds at most ``depth`` chunks of records: a worker that gets that far ahead
  waits, so memory stays bounded, and nothing buffers a whole stream.
- A prefetch that has not started when its records are wanted is cancelled and fetched
  on the reading thread, so no reader ever waits behind a queue of workers that wait on it.
- The workers are daemon threads: a run that fails leaves nothing that keeps the process
  alive (a thread pool's workers would be joined at exit, and one waiting on a reader
  that is gone would never end).
"""

from __future__ import annotations

import queue
import threading
import typing as t
from collections import deque

if t.TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Iterable, Iterator

Item = t.TypeVar("Item")
Fetch = t.Callable[[], t.Iterable[dict[str, t.Any]]]

#: Records per hand-over from a worker: one full page of a list endpoint.
CHUNK = 250
#: Chunks a prefetch may hold before its worker waits for the reader.
DEPTH = 4
#: How often a waiting worker looks whether its reader has gone.
_POLL_SECONDS = 0.05


class _End:
    """The worker fetched every page."""


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class Prefetch:
    """The records of one context, fetched on a worker thread, read once, in order."""

    def __init__(self, fetch: Fetch, depth: int = DEPTH) -> None:
        self._fetch = fetch
        self._chunks: queue.Queue[list[dict[str, t.Any]] | _End | _Failed] = queue.Queue(depth)
        self._abandoned = threading.Event()
        self._claim = threading.Lock()
        self._claimed_by: str | None = None  # "worker" or "reader"

    def _take_over(self, who: str) -> bool:
        """True for the first of the worker and the reader to ask: it fetches."""
        with self._claim:
            if self._claimed_by is None:
                self._claimed_by = who
            return self._claimed_by == who

    def run(self) -> None:
        """On a worker: fetch every record, handing them over a chunk at a time."""
        if self._abandoned.is_set() or not self._take_over("worker"):
            return
        chunk: list[dict[str, t.Any]] = []
        try:
            for record in self._fetch():
                chunk.append(record)
                if len(chunk) >= CHUNK:
                    if not self._put(chunk):
                        return
                    chunk = []
        except BaseException as error:  # noqa: BLE001 - handed to the reader, who raises it
            self._put(_Failed(error))
            return
        if not chunk or self._put(chunk):
            self._put(_End())

    def _put(self, item: list[dict[str, t.Any]] | _End | _Failed) -> bool:
        """Hand an item over, waiting while the reader is behind; False once abandoned."""
        while not self._abandoned.is_set():
            try:
                self._chunks.put(item, timeout=_POLL_SECONDS)
            except queue.Full:
                continue
            return True
        return False

    def records(self) -> Iterator[dict[str, t.Any]]:
        """The records, on the reading thread (a failure of the fetch is raised here)."""
        try:
            if self._take_over("reader"):
                yield from self._fetch()  # not started: fetched here, not waited for
                return
            while True:
                item = self._chunks.get()
                if isinstance(item, _End):
                    return
                if isinstance(item, _Failed):
                    raise item.error
                yield from item
        finally:
            self.abandon()

    def abandon(self) -> None:
        """Nobody will read the rest: the worker stops at its next hand-over."""
        self._abandoned.set()


class FanOut:
    """The run's fetch workers: at most ``width`` requests in flight at once.

    ``width`` 1 fetches nothing ahead: every context is fetched when it is read.
    """

    def __init__(self, width: int) -> None:
        self.width = max(1, width)
        self._tasks: queue.SimpleQueue[Prefetch | None] = queue.SimpleQueue()
        self._workers = [
            threading.Thread(target=self._work, name=f"tap-pinterest-fetch-{n}", daemon=True)
            for n in range(self.width if self.width > 1 else 0)
        ]
        self._started = False
        # started and not taken yet; the readers (the main thread) take, and both the
        # main thread and the workers (a fetch starts its records' children) start
        self._waiting: dict[Hashable, Prefetch] = {}
        self._ever: set[Hashable] = set()
        self._lock = threading.Lock()

    @property
    def concurrent(self) -> bool:
        """True when contexts are fetched ahead."""
        return bool(self._workers)

    def _work(self) -> None:
        while (prefetch := self._tasks.get()) is not None:
            prefetch.run()

    def _submit(self, fetch: Fetch) -> Prefetch:
        prefetch = Prefetch(fetch)
        self._queue(prefetch)
        return prefetch

    def _queue(self, prefetch: Prefetch) -> None:
        if not self._workers:
            return
        with self._lock:
            if not self._started:
                self._started = True
                for worker in self._workers:
                    worker.start()
        self._tasks.put(prefetch)

    def start(self, key: Hashable, fetch: Fetch) -> None:
        """Begin fetching the context ``key`` ahead of its reader (:meth:`take`), once a run."""
        if not self._workers:
            return
        with self._lock:
            if key in self._ever:
                return
            self._ever.add(key)
            prefetch = Prefetch(fetch)
            self._waiting[key] = prefetch
        self._queue(prefetch)

    def take(self, key: Hashable) -> Prefetch | None:
        """The prefetch of ``key``, if :meth:`start` began one."""
        with self._lock:
            return self._waiting.pop(key, None)

    def ordered(
        self, items: Iterable[Item], fetch: Callable[[Item], Iterable[dict[str, t.Any]]]
    ) -> Iterator[dict[str, t.Any]]:
        """The records of ``fetch(item)`` for each item in turn, ``width`` items in flight."""
        if not self._workers:
            for item in items:
                yield from fetch(item)
            return
        pending = iter(items)
        window: deque[Prefetch] = deque()
        try:
            for item in pending:
                window.append(self._submit(_bind(fetch, item)))
                if len(window) >= self.width:
                    break
            while window:
                head = window.popleft()
                following = next(pending, _NOTHING)
                if following is not _NOTHING:
                    window.append(self._submit(_bind(fetch, t.cast("Item", following))))
                yield from head.records()
        finally:
            for prefetch in window:
                prefetch.abandon()

    def close(self) -> None:
        """At the end of the run: stop what nobody will read, and the workers."""
        with self._lock:
            waiting, self._waiting = list(self._waiting.values()), {}
        for prefetch in waiting:
            prefetch.abandon()
        if self._started:
            for _ in self._workers:
                self._tasks.put(None)


_NOTHING = object()


def _bind(fetch: Callable[[Item], Iterable[dict[str, t.Any]]], item: Item) -> Fetch:
    return lambda: fetch(item)
