"""Client-side pacing: stay under each rate-limit category's budget instead of bouncing
off 429s, and slow down further when the API's ``X-RateLimit-*`` headers say so."""

from __future__ import annotations

import os
import threading
import time
import typing as t
import urllib.request
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter

if t.TYPE_CHECKING:
    from collections.abc import Callable, Mapping

#: Environment variables requests reads on every call when ``trust_env`` is on.
_ENVIRONMENT_SETTINGS = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NETRC")


@dataclass(frozen=True)
class Budget:
    """``requests`` per ``seconds``; up to ``burst`` of them may start at once.

    A burst of 1 spaces requests evenly, ``seconds / requests`` apart, so that no
    window of that length ever holds more than ``requests`` of them, wherever the
    server's window starts.
    """

    requests: float
    seconds: float = 60.0
    burst: float = 1.0

    @property
    def interval(self) -> float:
        return self.seconds / self.requests


class _Bucket:
    """A token bucket: ``burst`` tokens, refilled at one per ``interval``."""

    def __init__(self, budget: Budget, now: float) -> None:
        self.interval = budget.interval
        self.burst = budget.burst
        self.tokens = budget.burst
        self.updated = now

    def reserve(self, now: float) -> float:
        """Take a token; the time at which the request may start."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) / self.interval)
        self.updated = now
        self.tokens -= 1.0
        return now if self.tokens >= 0 else now - self.tokens * self.interval


class Pacer:
    """Paces the requests of each rate-limit category under its budget.

    Categories without a budget are not paced by the clock, but still by the headers.
    Thread-safe: the run's fetch workers share one pacer.
    """

    def __init__(
        self,
        budgets: Mapping[str, Budget],
        *,
        headroom: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        now = clock()
        self._buckets = {category: _Bucket(b, now) for category, b in budgets.items()}
        #: From the headers: the earliest start of a category's next request, and the
        #: spacing of its requests while its remaining calls are low.
        self._next_slot: dict[str, float] = {}
        self._learned: dict[str, float] = {}
        #: Requests that may be in flight when a response is read: the remaining
        #: calls the headers report are spent down to this many, then paced.
        self.headroom = max(1, headroom)
        self.waited = 0.0

    def wait(self, category: str) -> None:
        """Block until a request of ``category`` may start."""
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(category)
            start = max(bucket.reserve(now) if bucket else now, self._next_slot.get(category, now))
            if category in self._learned:
                self._next_slot[category] = start + self._learned[category]
        if start > now:
            self.waited += start - now
            self._sleep(start - now)

    def observe(self, category: str, response: requests.Response) -> None:
        """Learn from a response's ``X-RateLimit-Limit``/``-Remaining``/``-Reset``.

        When the remaining calls are down to the requests that may be in flight, the
        next ones are spaced over the seconds until the reset: at the rate the window
        refills, read off the headers (a 429 holds the category until the reset).
        """
        remaining = _header_number(response, "X-RateLimit-Remaining")
        reset = _header_number(response, "X-RateLimit-Reset")
        if reset is None or reset <= 0:
            return
        limit = _header_number(response, "X-RateLimit-Limit")
        with self._lock:
            now = self._clock()
            if response.status_code == requests.codes.too_many_requests:
                self._next_slot[category] = max(self._next_slot.get(category, now), now + reset)
            elif remaining is None:
                return
            elif remaining > self.headroom:
                self._learned.pop(category, None)
            else:
                used = (limit - remaining) if limit is not None else 0.0
                self._learned[category] = reset / max(1.0, used)


def _header_number(response: requests.Response, name: str) -> float | None:
    try:
        return float(response.headers[name])
    except (KeyError, ValueError):
        return None


class PacedSession(requests.Session):
    """A requests session whose every send (retries included) waits for the pacer.

    It keeps ``pool_size`` connections open per host, one for each request in
    flight. requests reads the proxy settings from the environment on every call;
    unless the environment names a proxy or a CA bundle, this session skips that.
    """

    def __init__(self, pacer: Pacer, category: str, pool_size: int = 10) -> None:
        super().__init__()
        self._pacer = pacer
        self._category = category
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(10, pool_size))
        self.mount("https://", adapter)
        self.mount("http://", adapter)
        configured = urllib.request.getproxies() or any(
            name in os.environ for name in _ENVIRONMENT_SETTINGS
        )
        self.trust_env = bool(configured)

    def send(self, request: requests.PreparedRequest, **kwargs: t.Any) -> requests.Response:
        """Wait for the category's next slot, send, and learn from the headers."""
        self._pacer.wait(self._category)
        response = super().send(request, **kwargs)
        self._pacer.observe(self._category, response)
        return response
