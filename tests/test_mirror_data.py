"""benchmarks/mirror_data.py: the load benchmark's pins come board by board, as the tap
sends board_pins, unless asked to scatter them (docs/performance.md's figures say which)."""

from __future__ import annotations

import itertools
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from mirror_data import BOARDS, pins  # benchmarks/ is not a package

COUNT = 20_000


def test_pins_come_board_by_board_on_boards_of_uneven_size() -> None:
    made = list(pins(COUNT))
    assert [p["id"] for p in made] == [str(100_000_000_000_000_000 + i) for i in range(COUNT)]
    runs = [board for board, _ in itertools.groupby(p["board_id"] for p in made)]
    assert len(runs) == len(set(runs)) == BOARDS  # each board once, all its pins together
    sizes = Counter(p["board_id"] for p in made).values()
    mean = COUNT / BOARDS
    assert min(sizes) < 0.5 * mean and max(sizes) > 1.5 * mean


def test_scattered_pins_interleave_the_boards_and_the_same_seed_gives_the_same_pins() -> None:
    made = list(pins(COUNT, order="scattered"))
    runs = [board for board, _ in itertools.groupby(p["board_id"] for p in made)]
    assert len(runs) > COUNT / 2
    assert made == list(pins(COUNT, order="scattered"))
    assert made != list(pins(COUNT, seed=2, order="scattered"))


def test_an_unknown_order_is_refused() -> None:
    with pytest.raises(ValueError, match="order must be one of boards, scattered"):
        next(pins(1, order="shuffled"))
