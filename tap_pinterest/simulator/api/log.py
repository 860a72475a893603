"""Thread-safe log of the API requests the simulator answered.

Entries hold the method, path, route template, query parameters and status; never any
header (so no `Authorization` value) and never a request body.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class RequestLogEntry:
    method: str
    path: str
    route: str
    query: dict[str, list[str]]
    status: int | None  # None: the connection was dropped without a response

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    """Counts per (method, route template) and the list of entries, in arrival order.

    Requests to unknown paths are counted under their literal path, so a client calling
    a wrong URL shows up in `counts()`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[RequestLogEntry] = []

    def record(self, entry: RequestLogEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self, route: str | None = None, method: str | None = None) -> list[RequestLogEntry]:
        with self._lock:
            found = list(self._entries)
        return [
            e
            for e in found
            if (route is None or e.route == route) and (method is None or e.method == method)
        ]

    def counts(self) -> dict[tuple[str, str], int]:
        """{(method, route template): number of requests}."""
        with self._lock:
            return dict(Counter((e.method, e.route) for e in self._entries))

    def statuses(self) -> dict[int | None, int]:
        """{HTTP status (None: dropped): number of requests}: the 429s a client drew."""
        with self._lock:
            return dict(Counter(e.status for e in self._entries))

    def count(self, route: str, method: str = "GET") -> int:
        with self._lock:
            return sum(1 for e in self._entries if e.route == route and e.method == method)

    def total(self) -> int:
        with self._lock:
            return len(self._entries)

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()

    def to_dict(self, with_entries: bool = False) -> dict[str, Any]:
        counts = self.counts()
        out: dict[str, Any] = {
            "total": sum(counts.values()),
            "counts": [
                {"method": method, "route": route, "count": n}
                for (method, route), n in sorted(counts.items())
            ],
            "statuses": {
                "dropped" if status is None else str(status): n
                for status, n in sorted(self.statuses().items(), key=lambda item: item[0] or 0)
            },
        }
        if with_entries:
            out["entries"] = [e.to_dict() for e in self.entries()]
        return out
