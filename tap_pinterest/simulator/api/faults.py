"""Fault injection: latency, random 5xx, dropped connections, scripts and rate limits.

Everything random comes from RNGs seeded by `Faults.seed`, so a run with the same
requests in the same order sees the same faults. All methods are thread-safe, and the
attributes may be changed while the server runs.
"""

from __future__ import annotations

import math
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tap_pinterest.simulator.analytics.reports import DOWNLOAD_ROUTE
from tap_pinterest.simulator.api.routes import ROUTES

_EPSILON = 1e-9
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*$")
RATE_LIMIT_MESSAGE = (
    "This request exceeded a rate limit. This can happen if the client exceeds one of the "
    "published rate limits within a short time window."
)


def parse_rate(text: str) -> tuple[int, float]:
    """'1000/60' -> (1000, 60.0): requests per window seconds."""
    match = _RATE.match(text)
    if not match or int(match.group(1)) < 1 or float(match.group(2)) <= 0:
        raise ValueError(f"rate limit must look like REQUESTS/SECONDS, e.g. 1000/60 (got {text!r})")
    return int(match.group(1)), float(match.group(2))


@dataclass
class ScriptedFault:
    """A canned response for matching requests, used `times` times (None: forever).

    `page` 1 is a request without a bookmark, page 2 one whose bookmark points at the
    second page, and so on; None matches every page. `path_args` narrows the match to
    given path values, e.g. `{"ad_account_id": "549..."}`. With `drop=True` the
    connection is closed without any response instead.

    `raw` is a body sent as it is instead of JSON (an HTML error page of a proxy, say;
    `text/html` unless `headers` name a Content-Type). With `cut_off=True` the answer
    announces its whole length but the connection closes after half of the body: the
    real answer's body, unless `body` or `raw` is given. `delete` (`{"pins": [ids]}`)
    deletes records first, as a user might between two calls; `status=None` then lets
    the request be answered as usual.
    """

    route: str
    method: str = "GET"
    page: int | None = None
    status: int | None = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = 1
    drop: bool = False
    path_args: dict[str, str] | None = None
    raw: str | None = None
    cut_off: bool = False
    delete: dict[str, list[str]] | None = None
    hits: int = 0

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches(
        self, method: str, template: str, page: int | None, args: Mapping[str, str]
    ) -> bool:
        if self.exhausted or method != self.method or template != self.route:
            return False
        if self.page is not None and page != self.page:
            return False
        return all(args.get(k) == v for k, v in (self.path_args or {}).items())

    def response_body(self) -> Any:
        if self.body is not None:
            return self.body
        code = 8 if self.status == 429 else self.status
        return {"code": code, "message": f"Scripted fault: HTTP {self.status}."}

    def to_dict(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "method": self.method,
            "page": self.page,
            "status": self.status,
            "body": self.body,
            "headers": self.headers,
            "times": self.times,
            "drop": self.drop,
            "path_args": self.path_args,
            "raw": self.raw,
            "cut_off": self.cut_off,
            "delete": self.delete,
            "hits": self.hits,
        }


@dataclass
class RateLimitDecision:
    allowed: bool
    headers: dict[str, str]


class Faults:
    """Fault configuration and state of one simulator.

    latency_ms: added to every /v5 response. error_rate: fraction of /v5 requests answered
    500 or 503 with a `{code, message}` body. drop_rate: fraction whose connection is closed
    without a response. rate_limits: category -> (requests, window seconds) budgets,
    enforced as token buckets on `clock` (monotonic; tests may replace it); see
    `check_rate_limit`.
    """

    def __init__(
        self,
        latency_ms: float = 0.0,
        error_rate: float = 0.0,
        drop_rate: float = 0.0,
        rate_limits: Mapping[str, tuple[int, float]] | None = None,
        seed: int = 0,
    ) -> None:
        self._lock = threading.RLock()
        self.latency_ms = latency_ms
        self.error_rate = error_rate
        self.drop_rate = drop_rate
        self.seed = seed
        self.scripts: list[ScriptedFault] = []
        self.rate_limits: dict[str, tuple[int, float]] = {}
        self._buckets: dict[str, tuple[float, float]] = {}  # tokens, last update
        self.clock: Callable[[], float] = time.monotonic
        self.reseed(seed)
        for category, (limit, window) in (rate_limits or {}).items():
            self.set_rate_limit(category, limit, window)
        self._validate()

    def _validate(self) -> None:
        for name in ("error_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms must be >= 0, got {self.latency_ms}")

    def reseed(self, seed: int) -> None:
        """Restart the random fault sequences from `seed`."""
        with self._lock:
            self.seed = seed
            self._drop_rng = random.Random(f"drop:{seed}")  # noqa: S311 - not crypto
            self._error_rng = random.Random(f"error:{seed}")  # noqa: S311

    # ---- configuration -------------------------------------------------------------------

    def update(self, **settings: Any) -> None:
        """Set latency_ms, error_rate, drop_rate, seed or rate_limits (validated)."""
        with self._lock:
            known = {"latency_ms", "error_rate", "drop_rate", "seed", "rate_limits"}
            unknown = set(settings) - known
            if unknown:
                raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
            old = (self.latency_ms, self.error_rate, self.drop_rate)
            for name in ("latency_ms", "error_rate", "drop_rate"):
                if name in settings:
                    setattr(self, name, float(settings[name]))
            try:
                self._validate()
            except ValueError:
                self.latency_ms, self.error_rate, self.drop_rate = old
                raise
            if "seed" in settings:
                self.reseed(int(settings["seed"]))
            if "rate_limits" in settings:
                self.clear_rate_limits()
                for category, rate in (settings["rate_limits"] or {}).items():
                    limit, window = parse_rate(rate) if isinstance(rate, str) else rate
                    self.set_rate_limit(category, int(limit), float(window))

    def set_rate_limit(self, category: str, limit: int, window_seconds: float) -> None:
        known = {route.category for route in ROUTES}
        if category not in known:
            raise ValueError(
                f"unknown rate-limit category {category!r}; known: {', '.join(sorted(known))}"
            )
        if limit < 1 or window_seconds <= 0:
            raise ValueError("a rate limit needs limit >= 1 and window_seconds > 0")
        with self._lock:
            self.rate_limits[category] = (limit, window_seconds)
            self._buckets.pop(category, None)

    def clear_rate_limits(self) -> None:
        with self._lock:
            self.rate_limits.clear()
            self._buckets.clear()

    def script(
        self,
        route: str,
        *,
        status: int | None = 500,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        page: int | None = None,
        times: int | None = 1,
        method: str = "GET",
        drop: bool = False,
        path_args: Mapping[str, str] | None = None,
        raw: str | None = None,
        cut_off: bool = False,
        delete: Mapping[str, list[str]] | None = None,
    ) -> ScriptedFault:
        """Answer matching requests with `status`/`body`/`headers` (see ScriptedFault)."""
        known = {r.template for r in ROUTES} | {DOWNLOAD_ROUTE}
        if route not in known:
            raise ValueError(f"unknown route template {route!r}; known: {', '.join(sorted(known))}")
        if status is None and (body is not None or raw is not None or drop):
            raise ValueError("a script without a status answers as usual: it takes no body")
        if raw is not None and body is not None:
            raise ValueError("a script takes a JSON 'body' or a 'raw' one, not both")
        fault = ScriptedFault(
            route=route,
            method=method.upper(),
            page=page,
            status=status,
            body=body,
            headers=dict(headers or {}),
            times=times,
            drop=drop,
            path_args=dict(path_args) if path_args else None,
            raw=raw,
            cut_off=cut_off,
            delete={k: list(v) for k, v in delete.items()} if delete else None,
        )
        with self._lock:
            self.scripts.append(fault)
        return fault

    def clear_scripts(self) -> None:
        with self._lock:
            self.scripts.clear()

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "latency_ms": self.latency_ms,
                "error_rate": self.error_rate,
                "drop_rate": self.drop_rate,
                "seed": self.seed,
                "rate_limits": {c: f"{n}/{w:g}" for c, (n, w) in sorted(self.rate_limits.items())},
                "scripts": [s.to_dict() for s in self.scripts],
            }

    # ---- decisions (called by the app for each /v5 request) ------------------------------

    def take_script(
        self, method: str, template: str, page: int | None, args: Mapping[str, str]
    ) -> ScriptedFault | None:
        with self._lock:
            for fault in self.scripts:
                if fault.matches(method, template, page, args):
                    fault.hits += 1
                    return fault
        return None

    def should_drop(self) -> bool:
        with self._lock:
            return self._drop_rng.random() < self.drop_rate

    def random_error(self) -> int | None:
        """500 or 503 for a fraction `error_rate` of requests, else None."""
        with self._lock:
            draw, kind = self._error_rng.random(), self._error_rng.random()
            if draw < self.error_rate:
                return 500 if kind < 0.5 else 503
            return None

    def latency_seconds(self) -> float:
        return self.latency_ms / 1000.0

    def check_rate_limit(self, category: str) -> RateLimitDecision | None:
        """Take one request from `category`'s budget; None when it has no budget.

        A budget of `limit` requests per `window` seconds is a bucket of `limit` tokens,
        full at first and refilled continuously at limit/window tokens a second. A
        request takes a token, or is refused (429) when less than one is left. So a
        burst of `limit` passes, and a client that spaces its requests window/limit
        seconds apart never sees a 429: the jitter of their arrival only dips into the
        bucket (it would take a delay of limit - 1 spacings to empty it).
        Headers: X-RateLimit-Limit; X-RateLimit-Remaining, the whole tokens left;
        X-RateLimit-Reset, whole seconds (at least 1) until the next request may pass
        (on a 429) or until the bucket is full again (otherwise).
        """
        with self._lock:
            budget = self.rate_limits.get(category)
            if budget is None:
                return None
            limit, window = budget
            rate = limit / window
            now = self.clock()
            tokens, last = self._buckets.get(category, (float(limit), now))
            tokens = min(float(limit), tokens + max(0.0, now - last) * rate)
            allowed = tokens >= 1.0 - _EPSILON
            if allowed:
                tokens = max(0.0, tokens - 1.0)
            self._buckets[category] = (tokens, now)
            wait = (1.0 - tokens) / rate if not allowed else (limit - tokens) / rate
            return RateLimitDecision(
                allowed,
                {
                    "X-RateLimit-Limit": str(limit),
                    "X-RateLimit-Remaining": str(int(tokens + _EPSILON)),
                    "X-RateLimit-Reset": str(max(1, math.ceil(wait - _EPSILON))),
                },
            )
