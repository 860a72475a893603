"""`tap-pinterest-mirror`: each command, and one `error:` line with exit 2 for every error."""

# The fixtures imported from .pipeline are parameters of the tests (F811).
# ruff: noqa: F811

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from singer_run import own_lines

from tap_pinterest.mirror import Mirror, QueryError
from tap_pinterest.mirror.query.api import MAX_LIMIT
from tap_pinterest.mirror.query.execute import Executor
from tap_pinterest.mirror.serve.server import MirrorApp, MirrorServer
from tap_pinterest.simulator import Simulator

from .pipeline import BIN, Loaded, loaded, mirror_records  # noqa: F401 - fixtures

CLI = str(BIN / "tap-pinterest-mirror")
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - what the tests bind, or refuse to
TOKEN = "cli-serve-token-abcdef0123456789"


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PINTEREST_MIRROR_") and "LOGLEVEL" not in k
    }
    return subprocess.run(
        [CLI, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**environ, **(env or {})},
        cwd=cwd,
        check=False,
    )


def ok(*args: str, **kwargs: Any) -> Any:
    result = run(*args, **kwargs)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def fails(*args: str, **kwargs: Any) -> str:
    """Run, expect exit 2 and one `error:` line; return the message."""
    result = run(*args, **kwargs)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = own_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    return lines[0].removeprefix("error: ")


@pytest.fixture(scope="module")
def db(loaded: Loaded) -> str:
    return loaded.url


# ---- search / get / stats ---------------------------------------------------------------


def test_search_with_a_query(db: str, mirror_records: dict[str, list[dict[str, Any]]]) -> None:
    board = mirror_records["boards"][2]
    query = json.dumps({"filter": {"eq": {"id": board["id"]}}})
    body = ok("--database-url", db, "search", "boards", "--query", query)
    assert [r["id"] for r in body["data"]] == [board["id"]]
    assert set(body["meta"]) == {"has_more", "cursor", "took_ms"}


def test_search_query_file_limit_cursor_fields(
    db: str, tmp_path: Path, mirror_records: dict[str, list[dict[str, Any]]]
) -> None:
    query_file = tmp_path / "q.json"
    query_file.write_text(json.dumps({"sort": [{"id": "asc"}]}))
    seen: list[str] = []
    args = [
        "search",
        "boards",
        "--query-file",
        str(query_file),
        "--limit",
        "3",
        "--fields",
        "id, name",
    ]
    body = ok(*args, "--database-url", db)  # the option also works after the command
    while True:
        assert len(body["data"]) <= 3
        assert all(set(r) <= {"id", "name"} for r in body["data"])
        seen.extend(r["id"] for r in body["data"])
        if not body["meta"]["has_more"]:
            break
        body = ok("--database-url", db, *args, "--cursor", body["meta"]["cursor"])
    assert seen == sorted(r["id"] for r in mirror_records["boards"])


def test_database_url_from_the_environment(db: str) -> None:
    body = ok("search", "boards", "--limit", "1", env={"PINTEREST_MIRROR_DATABASE_URL": db})
    assert len(body["data"]) == 1


def test_default_database_is_the_targets_default(loaded: Loaded) -> None:
    # `loaded` ran the target with no database_url from `loaded.directory`
    assert loaded.url.endswith("/output/pinterest-mirror.db")
    body = ok("stats", cwd=loaded.directory)  # sqlite:///output/pinterest-mirror.db
    assert "boards" in body


def test_get(db: str, mirror_records: dict[str, list[dict[str, Any]]]) -> None:
    campaign = mirror_records["campaigns"][0]
    assert ok("--database-url", db, "get", "campaigns", campaign["id"])["name"] == campaign["name"]


def test_stats(db: str, mirror_records: dict[str, list[dict[str, Any]]]) -> None:
    stats = ok("--database-url", db, "stats")
    assert stats["boards"]["records"] == len(mirror_records["boards"])
    assert stats["boards"]["last_loaded_at"]
    assert ok("--database-url", db, "stats", "boards") == {"boards": stats["boards"]}


# ---- list (live) ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(seed=9, scale=1) as simulator:
        yield simulator


@pytest.fixture
def tap_config(sim: Simulator, tmp_path: Path) -> Path:
    path = tmp_path / "tap.json"
    path.write_text(json.dumps(sim.tap_config()))
    sim.request_log.reset()
    return path


def test_list_one_page(sim: Simulator, tap_config: Path) -> None:
    body = ok("list", "boards", "--params", '{"page_size": 3}', "--config", str(tap_config))
    assert [b["id"] for b in body["data"]] == [b["id"] for b in sim.dataset.boards[:3]]
    assert body["meta"]["has_more"] is True
    cursor = body["meta"]["cursor"]
    params = json.dumps({"page_size": 3, "bookmark": cursor})
    body = ok("list", "boards", "--params", params, "--config", str(tap_config))
    assert [b["id"] for b in body["data"]] == [b["id"] for b in sim.dataset.boards[3:6]]
    assert sim.request_log.total() == 2


def test_list_child(sim: Simulator, tap_config: Path) -> None:
    board = sim.dataset.boards[0]["id"]
    params = json.dumps({"board_id": board, "page_size": 2})
    body = ok("list", "board_pins", "--params", params, "--config", str(tap_config))
    assert {p["board_id"] for p in body["data"]} <= {board}


def test_get_live(sim: Simulator, tap_config: Path) -> None:
    board = sim.dataset.boards[-1]
    assert ok("get", "boards", board["id"], "--config", str(tap_config)) == board
    assert sim.request_log.entries()[-1].path == f"/v5/boards/{board['id']}"
    # An unknown id: the API's 404 comes back as the error.
    message = fails("get", "boards", "12345", "--config", str(tap_config))
    assert "GET /v5/boards/12345 returned HTTP 404" in message
    assert sim.request_log.entries()[-1].path == "/v5/boards/12345"


def test_get_live_child_takes_its_parent_id_in_params(sim: Simulator, tap_config: Path) -> None:
    tag = sim.dataset.conversion_tags[0]
    params = json.dumps({"ad_account_id": tag["ad_account_id"]})
    body = ok("get", "conversion_tags", tag["id"], "--params", params, "--config", str(tap_config))
    assert body == tag
    message = fails("get", "conversion_tags", tag["id"], "--config", str(tap_config))
    assert "needs params.ad_account_id" in message
    assert "must be a JSON object" in fails(
        "get", "conversion_tags", tag["id"], "--params", "[1]", "--config", str(tap_config)
    )


# ---- errors -----------------------------------------------------------------------------


def test_usage_errors() -> None:
    assert "required: command" in fails()
    assert "invalid choice: 'frobnicate'" in fails("frobnicate")
    assert "required: entity" in fails("search")
    assert "invalid int value: 'ten'" in fails("search", "boards", "--limit", "ten")
    assert "not allowed with argument" in fails(
        "search", "boards", "--query", "{}", "--query-file", "q"
    )
    assert "required: --config" in fails("list", "boards")
    assert "required: entity, id" in fails("get")


def test_missing_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nothing.db'}"
    message = fails("--database-url", url, "search", "boards")
    assert message.startswith(f"no mirror at {tmp_path / 'nothing.db'}: run a sync first")
    assert "meltano run tap-pinterest target-pinterest-mirror" in message
    default = tmp_path / "output" / "pinterest-mirror.db"
    assert fails("stats", cwd=tmp_path).startswith(f"no mirror at {default}: run a sync first")
    assert list(tmp_path.iterdir()) == []  # a reader creates nothing


PASSWORD = "hunter2secret"  # made up; the output must never show it


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        (f"nothing:{PASSWORD}", "--database-url is not a database URL; the mirror supports"),
        (
            f"mysql://mirror:{PASSWORD}@127.0.0.1/mirror",
            "--database-url mysql://mirror:***@127.0.0.1/mirror: unsupported scheme 'mysql'",
        ),
        (
            f"postgresql+psycopg://mirror:{PASSWORD}@127.0.0.1:1/mirror",
            "cannot connect to PostgreSQL at 127.0.0.1:1",
        ),
    ],
)
def test_database_errors_are_one_line_without_the_password(url: str, needle: str) -> None:
    message = fails("--database-url", url, "stats")
    assert needle in message
    assert PASSWORD not in message
    assert "sqlite:///<file>" in message or "cannot connect" in message


def test_database_error_names_the_environment_variable() -> None:
    message = fails("stats", env={"PINTEREST_MIRROR_DATABASE_URL": "mysql://h/d"})
    assert message.startswith("$PINTEREST_MIRROR_DATABASE_URL mysql://h/d: unsupported scheme")


def test_sqlite_file_that_is_not_a_database(tmp_path: Path) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("not a database\n" * 100)
    message = fails("--database-url", f"sqlite:///{file}", "stats")
    assert message.startswith(f"--database-url sqlite:///{file}: cannot open the SQLite file")
    assert "not a database" in message


def test_the_traceback_at_debug_level(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://mirror:{PASSWORD}@127.0.0.1:1/mirror"
    result = run("--database-url", url, "stats", env={"LOGLEVEL": "debug"})
    assert result.returncode == 2
    assert "Traceback" in result.stderr
    assert "sqlalchemy.exc.OperationalError" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("error: --database-url")
    assert PASSWORD not in result.stderr


def test_unknown_entity_lists_the_choices(db: str) -> None:
    message = fails("--database-url", db, "search", "bords")
    assert "'bords'" in message
    assert "board_pins" in message
    assert "campaigns" in message


def test_bad_query_prints_the_query_error(db: str) -> None:
    query = json.dumps({"filter": {"eq": {"colour": "red"}}})
    message = fails("--database-url", db, "search", "boards", "--query", query)
    assert "colour" in message
    assert "name" in message  # the valid fields are listed
    operator = json.dumps({"filter": {"almost": {"name": "x"}}})
    message = fails("--database-url", db, "search", "boards", "--query", operator)
    assert "almost" in message
    assert "fuzzy" in message


def test_bad_query_json_and_files(db: str, tmp_path: Path) -> None:
    assert fails("--database-url", db, "search", "boards", "--query", "{nope").startswith(
        "--query is not valid JSON:"
    )
    missing = tmp_path / "missing.json"
    message = fails("--database-url", db, "search", "boards", "--query-file", str(missing))
    assert message == f"--query-file: cannot read {missing}: No such file or directory"


def test_bad_cursor(db: str) -> None:
    assert "cursor" in fails("--database-url", db, "search", "boards", "--cursor", "garbage")


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1, 5000])
def test_a_limit_out_of_range_is_the_same_error_everywhere(db: str, limit: int) -> None:
    with Mirror(db) as mirror:
        with pytest.raises(QueryError) as python:
            mirror.search("boards", limit=limit)
        with MirrorServer(MirrorApp(Executor(mirror)), port=0) as server:
            body = {"entity": "boards", "action": "search", "params": {"limit": limit}}
            http = requests.post(f"{server.url}/execute", json=body, timeout=30)
    expected = f"limit must be an integer from 1 to {MAX_LIMIT}, got {limit}."
    assert python.value.problem == "invalid_limit"
    assert str(python.value).startswith(expected)
    assert http.status_code == 400
    assert http.json()["error"] == {
        "problem": "invalid_limit",
        "message": str(python.value),
        "choices": [f"1..{MAX_LIMIT}"],
    }
    cli = fails("--database-url", db, "search", "boards", "--limit", str(limit))
    assert cli == str(python.value)


def test_the_limit_bounds_are_accepted(db: str) -> None:
    one = ok("--database-url", db, "search", "boards", "--limit", "1")
    assert len(one["data"]) == 1
    assert one["meta"]["has_more"] is True
    assert one["meta"]["cursor"]
    whole = ok("--database-url", db, "search", "boards", "--limit", str(MAX_LIMIT))
    assert whole["meta"]["has_more"] is False
    assert len(whole["data"]) > 1


def test_get_not_found(db: str) -> None:
    message = fails("--database-url", db, "get", "boards", "404404")
    assert "404404" in message
    assert "boards" in message


def test_stats_unknown_entity(db: str) -> None:
    assert "Unknown entity 'bords'" in fails("--database-url", db, "stats", "bords")


def test_list_errors(sim: Simulator, tap_config: Path, tmp_path: Path) -> None:
    config = str(tap_config)
    assert fails("list", "board_pins", "--config", config) == (
        "list board_pins needs params.board_id (/boards/{board_id}/pins)"
    )
    assert "Unknown entity 'bords'" in fails("list", "bords", "--config", config)
    assert "Unknown param 'limit'" in fails(
        "list", "boards", "--params", '{"limit": 1}', "--config", config
    )
    assert (
        fails("list", "boards", "--params", "[1]", "--config", config)
        == "--params must be a JSON object"
    )
    assert "--params is not valid JSON" in fails(
        "list", "boards", "--params", "{", "--config", config
    )
    missing = tmp_path / "none.json"
    assert "cannot read" in fails("list", "boards", "--config", str(missing))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"access_token": "x", "api_url": "ftp://example"}))
    assert "api_url" in fails("list", "boards", "--config", str(bad))
    assert sim.request_log.total() == 0


def test_list_api_error_hides_the_token(sim: Simulator, tmp_path: Path) -> None:
    config = tmp_path / "wrong.json"
    config.write_text(json.dumps({**sim.tap_config(), "access_token": "wrong-secret-token"}))
    result = run("list", "boards", "--config", str(config))
    assert result.returncode == 2
    assert "HTTP 401" in result.stderr
    assert "wrong-secret-token" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: ")


# ---- serve ------------------------------------------------------------------------------


def test_serve_refuses_a_public_address_without_a_token(db: str) -> None:
    message = fails("--database-url", db, "serve", "--host", ALL_INTERFACES)
    assert "set a bearer token" in message


def test_serve_reports_a_taken_port(db: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        message = fails("--database-url", db, "serve", "--port", str(port))
    assert message.startswith(f"cannot listen on 127.0.0.1:{port}")


def _serve(
    db: str, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PINTEREST_MIRROR_")}
    process = subprocess.Popen(
        [CLI, "--database-url", db, "serve", "--port", "0", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**environ, **(env or {})},
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if "serving POST " in line:
            url = line.split("serving POST ", 1)[1].strip().removesuffix("/execute")
            return process, url
        assert line, "the server exited before serving"
    process.kill()
    raise AssertionError("the server did not start")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_with_token_then_stop_cleanly(db: str, signum: int) -> None:
    process, url = _serve(db, env={"PINTEREST_MIRROR_TOKEN": TOKEN})
    try:
        body = {"entity": "boards", "action": "search", "params": {"limit": 2}}
        assert requests.post(f"{url}/execute", json=body, timeout=10).status_code == 401
        headers = {"Authorization": f"Bearer {TOKEN}"}
        response = requests.post(f"{url}/execute", json=body, headers=headers, timeout=10)
        assert response.status_code == 200
        assert len(response.json()["data"]) == 2
    finally:
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "POST /execute 401" in stderr
    assert "POST /execute 200" in stderr
    assert "stopped" in stderr
    assert TOKEN not in stderr + stdout
    assert "Traceback" not in stderr
