"""Fixtures of the resilience suite: a clock frozen where the tap's is, and a mirror per
backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine

from tests.mirror.conftest import BACKENDS, make_url
from tests.resilience.harness import FROZEN


@pytest.fixture(scope="module", autouse=True)
def frozen_clock() -> Iterator[None]:
    """The simulator (in this process) and the tap (FROZEN_RUN) share one ticking clock."""
    with time_machine.travel(FROZEN, tick=True):
        yield


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from make_url(request.param, tmp_path)
