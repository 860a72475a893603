"""Realistic board_pins at any size for the mirror benchmarks: the simulator's pins,
replicated with new ids and perturbed boards, dates and texts.

By default the pins come board by board, as the tap sends board_pins (a child of boards:
every pin of one board, then the next board's; `docs/performance.md`, "How the fan-out
works"), on 2,000 boards of uneven size. `order="scattered"` puts each pin on a random
board instead, the layout of the figures before this order: a board's pins then lie all
over the table, which no single sync produces."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from tap_pinterest.schema_files import load_schema
from tap_pinterest.simulator import Simulator

STREAM = "board_pins"
BOARDS = 2000
ORDERS = ("boards", "scattered")


def base_pins(seed: int = 1, scale: float = 10) -> list[dict[str, Any]]:
    return Simulator(seed=seed, scale=scale).dataset.pins


def board_sizes(count: int, rng: random.Random) -> list[int]:
    """`count` pins shared by the boards, each board 0.2 to 1.8 times the mean."""
    weights = [rng.uniform(0.2, 1.8) for _ in range(BOARDS)]
    total = sum(weights)
    sizes = [int(count * w / total) for w in weights]
    for n in range(count - sum(sizes)):  # what the rounding down left, one pin a board
        sizes[n % BOARDS] += 1
    return sizes


def pins(count: int, seed: int = 1, order: str = "boards") -> Iterator[dict[str, Any]]:
    """`count` pins with ids in load order, deterministic for a seed and an order."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, not {order!r}")
    rng = random.Random(seed)
    base = base_pins(seed)
    boards = [f"9570000{n:011d}" for n in range(BOARDS)]
    in_turn: Iterator[str] | None = None
    if order == "boards":
        rng.shuffle(boards)  # the boards list in no order of their ids
        sizes = board_sizes(count, rng)
        in_turn = (board for board, size in zip(boards, sizes, strict=True) for _ in range(size))
    epoch = datetime(2020, 1, 1, tzinfo=UTC)
    for i in range(count):
        pin = dict(base[rng.randrange(len(base))])
        other = base[rng.randrange(len(base))]
        pin["id"] = str(100_000_000_000_000_000 + i)
        pin["board_id"] = next(in_turn) if in_turn else boards[rng.randrange(BOARDS)]
        pin["created_at"] = (epoch + timedelta(seconds=rng.randrange(150_000_000))).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        pin["description"] = f"{pin['description']} {other['title']}"
        yield pin


def singer_lines(
    count: int, state_every: int, seed: int = 1, order: str = "boards"
) -> Iterator[str]:
    """SCHEMA, RECORDs, and a STATE after every `state_every` records."""
    schema = load_schema(STREAM)
    yield json.dumps(
        {"type": "SCHEMA", "stream": STREAM, "schema": schema, "key_properties": ["id"]}
    )
    for n, pin in enumerate(pins(count, seed, order), start=1):
        yield json.dumps({"type": "RECORD", "stream": STREAM, "record": pin})
        if n % state_every == 0:
            yield json.dumps({"type": "STATE", "value": {"loaded": n}})
