"""POST /execute and GET /health: each action, each error status, the token rules."""

# The fixtures imported from .pipeline are parameters of the tests (F811).
# ruff: noqa: F811

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from tap_pinterest.live import GET_ENTITIES, LiveClient
from tap_pinterest.mirror import Mirror
from tap_pinterest.mirror.query.execute import MAX_LIMIT, Executor
from tap_pinterest.mirror.query.requests import ACTIONS
from tap_pinterest.mirror.serve.server import MAX_BODY_BYTES, MirrorApp, MirrorServer, is_loopback
from tap_pinterest.simulator import Simulator

from .pipeline import loaded, mirror, mirror_records  # noqa: F401 - fixtures

ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - what the tests bind, or refuse to
TOKEN = "s3cret-mirror-token-0123456789"


@pytest.fixture(scope="module")
def server(mirror: Any) -> Iterator[MirrorServer]:
    with MirrorServer(MirrorApp(Executor(mirror)), port=0) as running:
        yield running


@pytest.fixture(scope="module")
def token_server(mirror: Any) -> Iterator[MirrorServer]:
    with MirrorServer(MirrorApp(Executor(mirror), token=TOKEN), port=0) as running:
        yield running


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(seed=3, scale=1) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def live_server(mirror: Any, sim: Simulator) -> Iterator[MirrorServer]:
    live = LiveClient(sim.tap_config())
    executor = Executor(mirror, live.list, live.get, GET_ENTITIES)
    with MirrorServer(MirrorApp(executor), port=0) as running:
        yield running


def execute(server: MirrorServer, body: Any, **kwargs: Any) -> requests.Response:
    return requests.post(f"{server.url}/execute", json=body, timeout=30, **kwargs)


def ok(server: MirrorServer, entity: str | None, action: str, **params: Any) -> Any:
    response = execute(server, {"entity": entity, "action": action, "params": params})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    return response.json()


def error(response: requests.Response, status: int, problem: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"problem", "message", "choices"}
    assert body["error"]["problem"] == problem
    assert "Traceback" not in response.text
    return dict(body["error"])


# ---- actions ---------------------------------------------------------------------------


def test_health(server: MirrorServer) -> None:
    response = requests.get(f"{server.url}/health", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_search_filters_and_returns_the_documented_shape(
    server: MirrorServer, mirror_records: dict[str, list[dict[str, Any]]]
) -> None:
    board = mirror_records["boards"][3]
    query = {"filter": {"eq": {"id": board["id"]}}}
    body = ok(server, "boards", "search", query=query)
    assert [r["id"] for r in body["data"]] == [board["id"]]
    assert body["data"][0]["name"] == board["name"]
    assert set(body["meta"]) == {"has_more", "cursor", "took_ms"}
    assert body["meta"]["has_more"] is False


def test_search_pages_with_the_cursor(
    server: MirrorServer, mirror_records: dict[str, list[dict[str, Any]]]
) -> None:
    ids: list[str] = []
    params: dict[str, Any] = {"limit": 4}
    while True:
        body = ok(server, "boards", "search", **params)
        assert len(body["data"]) <= 4
        ids.extend(r["id"] for r in body["data"])
        if not body["meta"]["has_more"]:
            break
        params = {"limit": 4, "cursor": body["meta"]["cursor"]}
    assert sorted(ids) == sorted(r["id"] for r in mirror_records["boards"])


def test_search_fields(server: MirrorServer) -> None:
    body = ok(server, "boards", "search", fields=["id", "name"], limit=2)
    assert body["data"]
    assert all(set(r) <= {"id", "name"} and "id" in r for r in body["data"])


def test_the_default_limit_is_the_cap(mirror: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    search = mirror.search

    def spy(entity: str, **kwargs: Any) -> Any:
        seen.append(kwargs["limit"])
        return search(entity, **kwargs)

    monkeypatch.setattr(mirror, "search", spy)
    Executor(mirror).execute({"entity": "boards", "action": "search", "params": {}})
    assert seen == [MAX_LIMIT]


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1, 10**12])
def test_a_limit_out_of_range_is_400_not_capped(server: MirrorServer, limit: int) -> None:
    body = {"entity": "boards", "action": "search", "params": {"limit": limit}}
    found = error(execute(server, body), 400, "invalid_limit")
    assert found["message"].startswith(f"limit must be an integer from 1 to {MAX_LIMIT}, got")
    assert found["choices"] == [f"1..{MAX_LIMIT}"]


def test_get_by_id(server: MirrorServer, mirror_records: dict[str, list[dict[str, Any]]]) -> None:
    board = mirror_records["boards"][0]
    assert ok(server, "boards", "get", board_id=board["id"])["id"] == board["id"]
    campaign = mirror_records["campaigns"][0]
    assert ok(server, "campaigns", "get", id=campaign["id"])["name"] == campaign["name"]


def test_get_unknown_id_is_404(server: MirrorServer) -> None:
    response = execute(server, {"entity": "boards", "action": "get", "params": {"id": "999"}})
    found = error(response, 404, "not_found")
    assert "999" in found["message"]


def test_get_needs_an_id(server: MirrorServer) -> None:
    response = execute(server, {"entity": "boards", "action": "get", "params": {}})
    found = error(response, 400, "missing_param")
    assert found["message"] == "get boards needs params.board_id (or params.id)"


def test_stats(server: MirrorServer, mirror_records: dict[str, list[dict[str, Any]]]) -> None:
    stats = ok(server, None, "stats")
    assert stats["boards"]["records"] == len(mirror_records["boards"])
    assert ok(server, "boards", "stats") == {"boards": stats["boards"]}


def test_list_without_live_config_is_a_400(server: MirrorServer) -> None:
    response = execute(server, {"entity": "boards", "action": "list"})
    assert "--config" in error(response, 400, "live_not_configured")["message"]


def test_live_list_and_get(live_server: MirrorServer, sim: Simulator) -> None:
    sim.request_log.reset()
    body = ok(live_server, "boards", "list", page_size=4)
    assert [r["id"] for r in body["data"]] == [b["id"] for b in sim.dataset.boards[:4]]
    assert body["meta"]["has_more"] is True
    assert sim.request_log.total() == 1
    response = execute(live_server, {"entity": "board_pins", "action": "list"})
    assert "params.board_id" in error(response, 400, "missing_param")["message"]
    # Entities the API can get are read from it; the API's 404 is the answer's.
    pin = sim.dataset.pins[-1]
    assert ok(live_server, "pins", "get", pin_id=pin["id"])["title"] == pin["title"]
    assert sim.request_log.entries()[-1].path == f"/v5/pins/{pin['id']}"
    response = execute(live_server, {"entity": "pins", "action": "get", "params": {"id": "1"}})
    error(response, 404, "not_found")
    assert sim.request_log.entries()[-1].path == "/v5/pins/1"


def test_live_get_of_a_child_takes_its_parent_id(live_server: MirrorServer, sim: Simulator) -> None:
    ad = sim.dataset.ads[-1]
    params = {"id": ad["id"], "ad_account_id": ad["ad_account_id"]}
    body = ok(live_server, "ads", "get", **params)
    assert (body["id"], body["ad_account_id"]) == (ad["id"], ad["ad_account_id"])
    response = execute(live_server, {"entity": "ads", "action": "get", "params": {"id": ad["id"]}})
    assert "params.ad_account_id" in error(response, 400, "missing_param")["message"]
    params["pin_id"] = ad["pin_id"]
    response = execute(live_server, {"entity": "ads", "action": "get", "params": params})
    assert error(response, 400, "unknown_param")["choices"] == ["id", "ad_id", "ad_account_id"]


def test_concurrent_requests(server: MirrorServer) -> None:
    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda _: ok(server, "boards", "search", limit=3), range(24)))
    assert all(len(b["data"]) == 3 for b in bodies)


# ---- request errors (400) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "problem", "choices"),
    [
        ({"entity": "nope", "action": "search"}, "unknown_entity", ["boards"]),
        ({"action": "search"}, "missing_entity", ["boards"]),
        ({"entity": "boards", "action": "delete"}, "unknown_action", list(ACTIONS)),
        ({"entity": "boards"}, "missing_action", list(ACTIONS)),
        (
            {"entity": "boards", "action": "search", "params": {"size": 1}},
            "unknown_param",
            ["limit"],
        ),
        ({"entity": "boards", "action": "search", "extra": 1}, "unknown_field", ["params"]),
        ({"entity": "boards", "action": "search", "params": {"limit": -1}}, "invalid_limit", []),
        ({"entity": "boards", "action": "search", "params": {"limit": "5"}}, "invalid_limit", []),
        ({"entity": "boards", "action": "search", "params": {"query": []}}, "invalid_query", []),
        (
            {"entity": "boards", "action": "search", "params": {"fields": "id"}},
            "invalid_fields",
            [],
        ),
        ({"entity": "boards", "action": "search", "params": {"cursor": 3}}, "invalid_cursor", []),
        ({"entity": "boards", "action": "search", "params": []}, "invalid_params", []),
        ({"entity": 5, "action": "search"}, "invalid_entity", []),
        ([1, 2], "invalid_request", []),
    ],
)
def test_bad_requests_are_400_with_choices(
    server: MirrorServer, body: Any, problem: str, choices: list[str]
) -> None:
    found = error(execute(server, body), 400, problem)
    assert found["message"]
    for choice in choices:
        assert choice in found["choices"]
        assert choice in found["message"]


def test_bad_query_is_400_with_the_query_error(server: MirrorServer) -> None:
    query = {"filter": {"eq": {"no_such_field": 1}}}
    response = execute(server, {"entity": "boards", "action": "search", "params": {"query": query}})
    assert response.status_code == 400
    found = response.json()["error"]
    assert "no_such_field" in found["message"]
    assert "name" in found["choices"]


def test_invalid_json_is_400(server: MirrorServer) -> None:
    response = requests.post(
        f"{server.url}/execute",
        data=b'{"entity": ',
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    error(response, 400, "invalid_json")


# ---- HTTP errors ------------------------------------------------------------------------


def test_not_json_is_415(server: MirrorServer) -> None:
    response = requests.post(f"{server.url}/execute", data="entity=boards", timeout=10)
    found = error(response, 415, "unsupported_media_type")
    assert found["choices"] == ["application/json"]
    response = requests.post(
        f"{server.url}/execute", data=b"{}", headers={"Content-Type": "text/plain"}, timeout=10
    )
    error(response, 415, "unsupported_media_type")


def test_too_large_is_413(server: MirrorServer) -> None:
    big = {"entity": "boards", "action": "search", "params": {"cursor": "x" * MAX_BODY_BYTES}}
    error(execute(server, big), 413, "payload_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer
        yield b'{"entity": "boards", "action": "search", "params": {"cursor": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}}'

    response = requests.post(
        f"{server.url}/execute",
        data=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    error(response, 413, "payload_too_large")


def test_wrong_method_is_405(server: MirrorServer) -> None:
    response = requests.get(f"{server.url}/execute", timeout=10)
    assert error(response, 405, "method_not_allowed")["choices"] == ["POST"]
    assert response.headers["Allow"] == "POST"
    response = requests.post(f"{server.url}/health", json={}, timeout=10)
    error(response, 405, "method_not_allowed")
    assert requests.put(f"{server.url}/execute", json={}, timeout=10).status_code == 405


def test_unknown_path_is_404(server: MirrorServer) -> None:
    response = requests.post(f"{server.url}/v1/execute", json={}, timeout=10)
    assert error(response, 404, "unknown_path")["choices"] == ["/execute", "/health"]


def test_internal_errors_show_no_details(
    mirror: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        msg = "boom: password=hunter2"
        raise RuntimeError(msg)

    monkeypatch.setattr(mirror, "stats", broken)
    with (
        caplog.at_level(logging.ERROR, "tap_pinterest.mirror.server"),
        MirrorServer(MirrorApp(Executor(mirror)), port=0) as running,
    ):
        response = execute(running, {"action": "stats"})
    found = error(response, 500, "internal_error")
    assert "boom" not in response.text
    assert "hunter2" not in response.text
    assert found["message"] == "internal error (see the server log)"
    assert "RuntimeError" in caplog.text  # the traceback goes to the log


# ---- the token --------------------------------------------------------------------------


def test_token_is_required_on_every_request(token_server: MirrorServer) -> None:
    url = token_server.url
    for response in (
        requests.get(f"{url}/health", timeout=10),
        execute(token_server, {"action": "stats"}),
        execute(token_server, {"action": "stats"}, headers={"Authorization": "Bearer wrong"}),
        execute(token_server, {"action": "stats"}, headers={"Authorization": f"Basic {TOKEN}"}),
        execute(token_server, {"action": "stats"}, headers={"Authorization": TOKEN}),
        requests.get(f"{url}/execute", timeout=10),  # 401 before 405: nothing is probed
    ):
        error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert TOKEN not in response.text
    good = {"Authorization": f"Bearer {TOKEN}"}
    assert requests.get(f"{url}/health", headers=good, timeout=10).status_code == 200
    assert execute(token_server, {"action": "stats"}, headers=good).status_code == 200


def test_token_is_compared_in_constant_time(
    token_server: MirrorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    headers = {"Authorization": "Bearer wrong-token"}
    assert (
        requests.get(f"{token_server.url}/health", headers=headers, timeout=10).status_code == 401
    )
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert (
        requests.get(f"{token_server.url}/health", headers=headers, timeout=10).status_code == 200
    )
    assert calls == [(b"wrong-token", TOKEN.encode()), (TOKEN.encode(), TOKEN.encode())]


def test_no_secret_in_logs(token_server: MirrorServer, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        for value in (f"Bearer {TOKEN}", f"Bearer {TOKEN}x", "Bearer other-secret-value"):
            requests.get(f"{token_server.url}/health", headers={"Authorization": value}, timeout=10)
    assert "GET /health 200" in caplog.text
    assert "GET /health 401" in caplog.text
    assert TOKEN not in caplog.text
    assert "other-secret-value" not in caplog.text


@pytest.mark.parametrize("host", [ALL_INTERFACES, "::", "192.168.1.10", "example.com", ""])
def test_binding_beyond_loopback_needs_a_token(mirror: Any, host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(ValueError, match="set a bearer token"):
        MirrorServer(MirrorApp(Executor(mirror)), host=host, port=0)
    MirrorServer(MirrorApp(Executor(mirror), token=TOKEN), host=host, port=0)  # accepted


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_needs_no_token(host: str) -> None:
    assert is_loopback(host)


def test_all_interfaces_with_token(mirror: Any) -> None:
    with MirrorServer(
        MirrorApp(Executor(mirror), token=TOKEN), host=ALL_INTERFACES, port=0
    ) as running:
        url = f"http://127.0.0.1:{running.port}/health"
        assert requests.get(url, timeout=10).status_code == 401
        headers = {"Authorization": f"Bearer {TOKEN}"}
        assert requests.get(url, headers=headers, timeout=10).status_code == 200


def test_a_database_that_cannot_be_opened_is_503(tmp_path: Path) -> None:
    file = tmp_path / "mirror.db"
    mirror = Mirror(f"sqlite:///{file}")  # `serve` before the first sync: no file yet
    with MirrorServer(MirrorApp(Executor(mirror)), port=0) as running:
        body = {"entity": "boards", "action": "search"}
        assert error(execute(running, body), 400, "unknown_entity")
        file.write_text("not a database\n" * 100)
        found = error(execute(running, body), 503, "database_unavailable")
    assert found["message"].startswith(f"database_url sqlite:///{file}: cannot open the SQLite")
