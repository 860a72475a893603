"""Small deterministic helpers shared by the data generators."""

from __future__ import annotations

import random
from datetime import UTC, datetime

# Every generated timestamp lies in [EPOCH_START, EPOCH_END): fixed dates, so the
# dataset never depends on the wall clock.
EPOCH_START = int(datetime(2021, 1, 1, tzinfo=UTC).timestamp())
EPOCH_END = int(datetime(2025, 12, 1, tzinfo=UTC).timestamp())
DAY = 86_400


def scaled(base: float, scale: float, minimum: int = 0) -> int:
    """A count that grows linearly with `scale`."""
    return max(minimum, round(base * scale))


_DAYS: dict[int, str] = {}


def iso(ts: int) -> str:
    """Unix seconds -> RFC 3339 string in UTC, as Pinterest's `created_at` fields."""
    day, rest = divmod(ts, DAY)
    prefix = _DAYS.get(day)
    if prefix is None:
        prefix = _DAYS[day] = datetime.fromtimestamp(day * DAY, tz=UTC).strftime("%Y-%m-%dT")
    hours, rest = divmod(rest, 3600)
    return f"{prefix}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}Z"


class IdSeq:
    """Increasing numeric-string ids with a fixed number of digits, like Pinterest's."""

    def __init__(self, rng: random.Random, prefix: int, digits: int, max_step: int = 97) -> None:
        span = 10 ** (digits - len(str(prefix)))
        self._next = prefix * span + rng.randrange(span // 1000)
        self._rng = rng
        self._max_step = max_step

    def __call__(self) -> str:
        self._next += 1 + self._rng.randrange(self._max_step)
        return str(self._next)


def sorted_times(rng: random.Random, n: int, start: int, end: int) -> list[int]:
    """`n` ascending Unix times in [start, end)."""
    span = max(1, end - start)
    rand = rng.random
    return sorted(start + int(rand() * span) for _ in range(n))


def split(rng: random.Random, total: int, weights: list[float]) -> list[int]:
    """Distribute `total` items over parents in proportion to `weights` (exact sum)."""
    if not weights:
        return []
    wsum = sum(weights)
    raw = [total * w / wsum for w in weights]
    counts = [int(x) for x in raw]
    remainder = total - sum(counts)
    # Hand the remaining items to the largest fractional parts, ties broken by the RNG.
    order = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], rng.random()))
    for i in order[:remainder]:
        counts[i] += 1
    return counts


def jitter_weights(rng: random.Random, n: int, low: float = 0.5, high: float = 1.5) -> list[float]:
    return [rng.uniform(low, high) for _ in range(n)]


def cycle(pattern: tuple[str, ...], index: int) -> str:
    return pattern[index % len(pattern)]


def record_times(rng: random.Random, start: int, spread: int) -> tuple[int, int]:
    """(created, updated): created within `spread` seconds of `start`, updated after."""
    created = rng.randrange(start, max(start + 1, start + spread))
    return created, rng.randrange(created, max(created + 1, EPOCH_END))
