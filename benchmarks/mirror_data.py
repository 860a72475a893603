"""Realistic board_pins at any size for the mirror benchmarks: the simulator's pins,
replicated with new ids and perturbed boards, dates and texts."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from tap_pinterest.schema_files import load_schema
from tap_pinterest.simulator import Simulator

STREAM = "board_pins"


def base_pins(seed: int = 1, scale: float = 10) -> list[dict[str, Any]]:
    return Simulator(seed=seed, scale=scale).dataset.pins


def pins(count: int, seed: int = 1, start: int = 0) -> Iterator[dict[str, Any]]:
    """`count` pins with ids start..start+count, deterministic for a seed."""
    rng = random.Random(seed + start)
    base = base_pins(seed)
    boards = [f"9570000{n:011d}" for n in range(2000)]
    epoch = datetime(2020, 1, 1, tzinfo=UTC)
    for i in range(start, start + count):
        pin = dict(base[rng.randrange(len(base))])
        other = base[rng.randrange(len(base))]
        pin["id"] = str(100_000_000_000_000_000 + i)
        pin["board_id"] = boards[rng.randrange(len(boards))]
        pin["created_at"] = (epoch + timedelta(seconds=rng.randrange(150_000_000))).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        pin["description"] = f"{pin['description']} {other['title']}"
        yield pin


def singer_lines(count: int, state_every: int, seed: int = 1) -> Iterator[str]:
    """SCHEMA, RECORDs, and a STATE after every `state_every` records."""
    schema = load_schema(STREAM)
    yield json.dumps(
        {"type": "SCHEMA", "stream": STREAM, "schema": schema, "key_properties": ["id"]}
    )
    for n, pin in enumerate(pins(count, seed), start=1):
        yield json.dumps({"type": "RECORD", "stream": STREAM, "record": pin})
        if n % state_every == 0:
            yield json.dumps({"type": "STATE", "value": {"loaded": n}})
