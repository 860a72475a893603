"""Fixtures for the simulator's tests: a started simulator and a small API client."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tap_pinterest.simulator import Simulator

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO_ROOT / ".." / "shared" / "pinterest-openapi" / "openapi.json"


class Api:
    """requests.Session bound to a simulator's base URL and static token."""

    def __init__(self, sim: Simulator, token: str | None = None) -> None:
        self.sim = sim
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token or sim.access_token}"

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(self.sim.base_url + path, params=params, timeout=10)

    def get_all(self, path: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
        """Follow bookmarks to the end: (all items, number of calls)."""
        items: list[dict[str, Any]] = []
        calls = 0
        bookmark = None
        while True:
            page_params = dict(params)
            if bookmark:
                page_params["bookmark"] = bookmark
            response = self.get(path, **page_params)
            calls += 1
            assert response.status_code == 200, response.text
            body = response.json()
            items.extend(body["items"])
            bookmark = body.get("bookmark")
            if bookmark is None:
                return items, calls
            assert calls < 10_000

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(seed=1, scale=1.0) as simulator:
        yield simulator


@pytest.fixture
def api(sim: Simulator) -> Iterator[Api]:
    client = Api(sim)
    yield client
    client.close()


def load_spec() -> dict[str, Any]:
    """The OpenAPI spec; skipped when absent, except under CI=true where that fails."""
    path = Path(os.environ.get("PINTEREST_OPENAPI_SPEC") or SPEC_PATH)
    if not path.is_file():
        message = (
            f"Pinterest OpenAPI spec not found at {path.resolve()}; set PINTEREST_OPENAPI_SPEC "
            "or put shared/pinterest-openapi/openapi.json beside the repository"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    spec: dict[str, Any] = json.loads(path.read_text())
    return spec


@pytest.fixture(scope="session")
def openapi_spec() -> dict[str, Any]:
    return load_spec()
