"""Fixtures for the simulator's tests: a started simulator and a small API client."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tap_pinterest.simulator import Route, Simulator

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

    def post(self, path: str, body: Any, **params: Any) -> requests.Response:
        return self.session.post(self.sim.base_url + path, json=body, params=params, timeout=10)

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


# The frozen "now" of the analytics tests: 2026-11-20 12:00:00 UTC.
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp()
TODAY = date(2026, 11, 20)


class Clock:
    """A settable clock for `Simulator(clock=...)`."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


def account_of(sim: Simulator) -> str:
    """The first ad account's id."""
    return str(sim.dataset.ad_accounts[0]["id"])


def ids_of(
    sim: Simulator, collection: str, account: str, statuses: tuple[str, ...] = ()
) -> list[str]:
    if collection == "ad_accounts":
        return [account]
    return [
        r["id"]
        for r in sim.dataset.children(collection, "ad_account_id", account)
        if not statuses or r["status"] in statuses
    ]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def asim(clock: Clock) -> Iterator[Simulator]:
    """A simulator whose clock is frozen at NOW (settable through `clock`)."""
    with Simulator(seed=1, scale=1.0, clock=clock) as simulator:
        yield simulator


@pytest.fixture
def aapi(asim: Simulator) -> Iterator[Api]:
    client = Api(asim)
    yield client
    client.close()


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


SPEC_URI = "urn:pinterest-openapi"


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class SpecValidator:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        resource = Resource.from_contents(spec, default_specification=DRAFT4)
        self.registry = Registry().with_resource(SPEC_URI, resource)

    def validator(self, pointer: str) -> Any:
        return OAS30Validator(
            {"$ref": f"{SPEC_URI}#{pointer}"},
            registry=self.registry,
            format_checker=OAS30Validator.FORMAT_CHECKER,
        )

    def response_pointer(self, route: Route, status: int) -> str:
        operation = self.spec["paths"][route.spec_path][route.method.lower()]
        key = str(status) if str(status) in operation["responses"] else "default"
        assert key in operation["responses"], f"{route.template} documents no {status} response"
        return "/".join(
            [
                "",
                "paths",
                _escape(route.spec_path),
                route.method.lower(),
                "responses",
                key,
                "content",
                _escape("application/json"),
                "schema",
            ]
        )

    def errors(self, route: Route, status: int, body: Any) -> list[str]:
        found = self.validator(self.response_pointer(route, status)).iter_errors(body)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in found][:10]

    def schema_errors(self, pointer: str, value: Any) -> list[str]:
        """Errors of `value` against the schema at `pointer`, e.g. /components/schemas/X."""
        found = self.validator(pointer).iter_errors(value)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in found][:10]

    def error_body_errors(self, body: Any) -> list[str]:
        return [e.message for e in self.validator("/components/schemas/Error").iter_errors(body)]


@pytest.fixture(scope="session")
def spec_validator(openapi_spec: dict[str, Any]) -> SpecValidator:
    return SpecValidator(openapi_spec)
