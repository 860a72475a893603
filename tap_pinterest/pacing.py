"""Client-side pacing: stay under a rate-limit budget instead of bouncing off 429s."""

from __future__ import annotations

import threading
import time
import typing as t

import requests

if t.TYPE_CHECKING:
    from collections.abc import Callable, Mapping


class Pacer:
    """Spaces the requests of each rate-limit category evenly under a per-minute budget.

    With a budget of ``n`` requests a minute, two requests of the category start at
    least ``60 / n`` seconds apart, so no window of a minute ever holds more than
    ``n`` of them, wherever the server's window starts. Categories without a budget
    are not paced.
    """

    def __init__(
        self,
        budgets: Mapping[str, float],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._intervals = {category: 60.0 / n for category, n in budgets.items() if n > 0}
        self._next: dict[str, float] = {}
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self.waited = 0.0

    def wait(self, category: str) -> None:
        """Block until a request of ``category`` may start."""
        interval = self._intervals.get(category)
        if interval is None:
            return
        with self._lock:
            now = self._clock()
            start = max(now, self._next.get(category, now))
            self._next[category] = start + interval
        if start > now:
            self.waited += start - now
            self._sleep(start - now)


class PacedSession(requests.Session):
    """A requests session whose every send (retries included) waits for the pacer."""

    def __init__(self, pacer: Pacer, category: str) -> None:
        super().__init__()
        self._pacer = pacer
        self._category = category

    def send(self, request: requests.PreparedRequest, **kwargs: t.Any) -> requests.Response:
        """Wait for the category's next slot, then send."""
        self._pacer.wait(self._category)
        return super().send(request, **kwargs)
