"""The mirror's HTTP server defends itself: slow clients time out, connections are capped,
and /health answers without the database."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Request

from tap_pinterest.mirror import Mirror
from tap_pinterest.mirror.query.execute import Executor
from tap_pinterest.mirror.serve.cli import main
from tap_pinterest.mirror.serve.server import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_READ_TIMEOUT,
    DEFAULT_REQUEST_TIMEOUT,
    MirrorApp,
    MirrorServer,
)
from tests.mirror.conftest import item, load_items

READ_TIMEOUT = 1.5
SEARCH = {"entity": "items", "action": "search", "params": {"limit": 2}}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MirrorApp]:
    url = f"sqlite:///{tmp_path_factory.mktemp('defence') / 'mirror.db'}"
    load_items(url, [item(i) for i in range(5)])
    with Mirror(url) as mirror:
        yield MirrorApp(Executor(mirror))


def half_sent(server: MirrorServer, stack: ExitStack, *, body: bool) -> socket.socket:
    """A connection that sent part of a request: its headers, or all of them and part
    of its body."""
    sock = stack.enter_context(socket.create_connection(("127.0.0.1", server.port), timeout=30))
    head = "POST /execute HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    if body:
        sock.sendall(f'{head}Content-Length: 1000\r\n\r\n{{"entity": '.encode())
    else:
        sock.sendall(head.encode())
    return sock


def closed_by_the_server(sock: socket.socket) -> bytes:
    """What the server sent before it closed the connection (raises on a timeout)."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_half_sent_requests_do_not_stop_normal_ones(app: MirrorApp) -> None:
    """200 connections holding half-sent requests: normal requests are served meanwhile,
    and the server closes the held ones after its read timeout (the probe found 500
    such connections still held 20 s later)."""
    server = MirrorServer(app, port=0, read_timeout=READ_TIMEOUT, max_connections=400)
    with server, ExitStack() as stack:
        held = [half_sent(server, stack, body=i % 2 == 1) for i in range(200)]
        started = time.monotonic()
        for _ in range(10):
            response = requests.post(f"{server.url}/execute", json=SEARCH, timeout=10)
            assert response.status_code == 200, response.text
            assert len(response.json()["data"]) == 2
        assert requests.get(f"{server.url}/health", timeout=10).json() == {"status": "ok"}
        served_in = time.monotonic() - started
        for i, sock in enumerate(held):
            answer = closed_by_the_server(sock)
            if i % 2:  # the body did not arrive: 408, then closed
                assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
                assert b'"request_timeout"' in answer
            else:  # the headers did not: closed without an answer
                assert answer == b""
        closed_in = time.monotonic() - started
    # served while the slow ones were held; they were let go after the timeout
    assert served_in < closed_in
    assert closed_in >= READ_TIMEOUT


def test_a_connection_that_sends_nothing_is_closed(app: MirrorApp) -> None:
    server = MirrorServer(app, port=0, read_timeout=READ_TIMEOUT).start()
    with server, socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        started = time.monotonic()
        assert closed_by_the_server(sock) == b""
        assert time.monotonic() - started >= READ_TIMEOUT * 0.9


def test_a_request_trickled_byte_by_byte_is_cut_at_the_request_timeout(app: MirrorApp) -> None:
    """A client that sends a byte now and then never trips the read timeout; the request
    timeout bounds how long it keeps its connection (and its slot)."""
    server = MirrorServer(app, port=0, read_timeout=READ_TIMEOUT, request_timeout=2.0).start()
    with server, socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        started = time.monotonic()
        try:
            for byte in b"POST /execute HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
                sock.sendall(bytes([byte]))
                time.sleep(0.2)  # well within the read timeout
        except OSError:  # the server shut the connection: sending fails
            pass
        closed_by_the_server(sock)
        held = time.monotonic() - started
    assert 2.0 <= held < 6, held
    slow = MirrorServer(app, port=0, read_timeout=READ_TIMEOUT).start()
    with slow:
        ok = requests.post(f"{slow.url}/execute", json=SEARCH, timeout=10)
        assert ok.status_code == 200


def test_connections_beyond_the_cap_get_503_at_once(app: MirrorApp) -> None:
    server = MirrorServer(app, port=0, read_timeout=READ_TIMEOUT, max_connections=5)
    with server, ExitStack() as stack:
        held = [half_sent(server, stack, body=False) for _ in range(5)]
        time.sleep(0.2)  # the server has taken them
        response = requests.post(f"{server.url}/execute", json=SEARCH, timeout=10)
        assert response.status_code == 503
        assert response.json()["error"]["problem"] == "server_busy"
        assert "max_connections" in response.json()["error"]["message"]
        assert response.headers["Retry-After"] == "1"
        for sock in held:
            closed_by_the_server(sock)
        time.sleep(0.2)  # their threads have ended and freed the slots
        after = requests.post(f"{server.url}/execute", json=SEARCH, timeout=10)
        assert after.status_code == 200, after.text


def test_health_answers_without_the_database(tmp_path: Path) -> None:
    """/health stays cheap: it reads nothing, so it answers while the database cannot."""
    mirror = Mirror("postgresql+psycopg://postgres@127.0.0.1:1/none", timeout_ms=100)
    with MirrorServer(MirrorApp(Executor(mirror)), port=0) as server:
        started = time.monotonic()
        health = requests.get(f"{server.url}/health", timeout=10)
        assert (health.status_code, health.json()) == (200, {"status": "ok"})
        assert time.monotonic() - started < 2
        search = requests.post(f"{server.url}/execute", json=SEARCH, timeout=30)
        assert search.status_code == 503
        assert search.json()["error"]["problem"] == "database_unavailable"


def test_the_defaults_are_the_documented_ones() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "mirror.md").read_text()
    assert f"| read timeout | `--read-timeout` | {DEFAULT_READ_TIMEOUT:g} s |" in docs
    assert f"| connections at once | `--max-connections` | {DEFAULT_MAX_CONNECTIONS} |" in docs
    assert f"| request timeout | `--request-timeout` | {DEFAULT_REQUEST_TIMEOUT:g} s |" in docs


def test_a_database_whose_connections_stay_busy_is_503(tmp_path: Path) -> None:
    """Every pooled connection held (by slow searches) past the pool's wait: 503, not 500."""
    url = f"sqlite:///{tmp_path / 'mirror.db'}"
    load_items(url, [item(i) for i in range(3)])
    with Mirror(url).open() as mirror:
        store = mirror._store
        assert store is not None
        store.engine.dispose()
        store.engine = sa.create_engine(url, pool_size=1, max_overflow=0, pool_timeout=0.1)
        with store.engine.connect():  # the one connection, busy
            answer = MirrorApp(Executor(mirror)).respond(
                Request(EnvironBuilder(method="POST", path="/execute", json=SEARCH).get_environ())
            )
    assert answer.status_code == 503
    assert answer.get_json()["error"]["problem"] == "database_busy"


class _Broken(Executor):
    """An executor with a bug: what only the last-resort boundaries should ever see."""

    def execute(self, request: object) -> dict[str, Any]:
        msg = "boom: password=hunter2"
        raise RuntimeError(msg)


def test_the_last_resort_logs_one_line_and_the_traceback_at_debug(
    app: MirrorApp, caplog: pytest.LogCaptureFixture
) -> None:
    broken = MirrorApp(_Broken(app.executor.mirror))
    with caplog.at_level(logging.DEBUG, "tap_pinterest.mirror.server"):
        answer = Client(broken).post("/execute", json=SEARCH)
    assert answer.status_code == 500
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert errors[0].exc_info is None
    assert "RuntimeError" in errors[0].getMessage()
    assert "hunter2" not in errors[0].getMessage()
    debug = [r for r in caplog.records if r.levelno == logging.DEBUG and r.exc_info]
    assert len(debug) == 1


def test_the_command_line_last_resort_is_one_line_and_a_traceback_at_debug(
    app: MirrorApp,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'mirror.db'}"
    load_items(url, [item(0)])
    monkeypatch.setattr(Executor, "execute", _Broken.execute)
    monkeypatch.delenv("LOGLEVEL", raising=False)
    monkeypatch.delenv("TAP_PINTEREST_MIRROR_LOGLEVEL", raising=False)
    assert main(["--database-url", url, "stats"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unexpected RuntimeError")
    assert err.count("\n") == 1
    monkeypatch.setenv("LOGLEVEL", "debug")
    assert main(["--database-url", url, "stats"]) == 2
    assert "Traceback" in capsys.readouterr().err
