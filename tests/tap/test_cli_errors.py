"""An expected failure ends the command with one line naming the cause and the fix.

Each test runs ``tap-pinterest`` as a user would (a subprocess) and reads its stderr:
one ``Error:`` line, at most one short line per retry before it, no traceback unless
the log level is DEBUG, a non-zero exit status, nothing on stdout but Singer messages.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import sim_config
from singer_run import own_lines, parse_messages

from tap_pinterest.simulator import Simulator

SECRET = "pina_secret-token-that-must-never-be-logged"


def _tap(
    tmp_path: Path, config: dict | str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """``tap-pinterest --config <file>``; ``config`` is the file's text or its settings."""
    path = tmp_path / "config.json"
    path.write_text(config if isinstance(config, str) else json.dumps(config))
    return _run([sys.executable, "-m", "tap_pinterest", "--config", str(path), *args], env)


def _run(command: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("LOGLEVEL")}
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**clean, **(env or {})},
    )


def _not_info(stderr: str) -> list[str]:
    """Every stderr line but the INFO log lines: warnings, errors, anything printed."""
    return [line for line in own_lines(stderr) if "| INFO " not in line]


def _assert_one_error_line(result: subprocess.CompletedProcess, *fragments: str) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "| ERROR" not in result.stderr
    assert SECRET not in result.stderr
    parse_messages(result.stdout)  # stdout holds Singer messages only
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr[-3000:]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _silent_server() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) but never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


def _unreachable(api_url: str, **extra: object) -> dict:
    return {"api_url": api_url, "access_token": SECRET, "retry_base_wait_seconds": 0.01, **extra}


def test_connection_refused_is_one_line_after_one_line_per_retry(tmp_path, closed_port) -> None:
    config = _unreachable(f"http://127.0.0.1:{closed_port}/v5", max_retries=2)
    result = _tap(tmp_path, config)
    error = _assert_one_error_line(
        result, "stream 'user_account'", f"127.0.0.1:{closed_port} refused", "api_url"
    )
    assert "after 3 attempts" in error
    retries = [line for line in own_lines(result.stderr) if "| WARNING " in line]
    assert len(retries) == 2, result.stderr
    assert all("refused the connection -- retry" in line and len(line) < 250 for line in retries)
    # Nothing else: no traceback, no second report of a retry, no "unhandled error".
    assert len(_not_info(result.stderr)) == 3, result.stderr


def test_an_unknown_host_is_one_line(tmp_path) -> None:
    result = _tap(tmp_path, _unreachable("http://pinterest-api.invalid/v5", max_retries=0))
    _assert_one_error_line(result, "pinterest-api.invalid could not be resolved", "api_url")
    assert len(_not_info(result.stderr)) == 1, result.stderr


def test_a_server_that_never_answers_is_one_line(tmp_path) -> None:
    with _silent_server() as port:
        config = _unreachable(f"http://127.0.0.1:{port}/v5", max_retries=0, request_timeout=1)
        result = _tap(tmp_path, config)
    _assert_one_error_line(result, "no response within request_timeout", "raise request_timeout")
    assert len(_not_info(result.stderr)) == 1, result.stderr


def test_the_traceback_is_there_at_debug_level(tmp_path, closed_port) -> None:
    config = _unreachable(f"http://127.0.0.1:{closed_port}/v5", max_retries=0)
    result = _tap(tmp_path, config, env={"TAP_PINTEREST_LOGLEVEL": "debug"})
    assert result.returncode != 0
    assert "Traceback" in result.stderr
    assert "ConnectionRefusedError" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: ")


def test_a_wrong_token_is_one_line(shared_sim: Simulator, tmp_path) -> None:
    result = _tap(tmp_path, {"api_url": shared_sim.base_url, "access_token": SECRET})
    _assert_one_error_line(
        result, "HTTP 401 (Pinterest code 2)", "access_token is invalid or expired"
    )
    assert len(_not_info(result.stderr)) == 1, result.stderr


def test_a_forbidden_endpoint_is_one_line_with_pinterests_code(sim: Simulator, tmp_path) -> None:
    body = {"code": 29, "message": "You are not permitted to access that resource."}
    sim.faults.script("/v5/user_account", status=403, body=body, times=None)
    result = _tap(tmp_path, sim_config(sim))
    _assert_one_error_line(result, "HTTP 403 (Pinterest code 29): You are not permitted", "scope")


def test_an_api_url_without_v5_is_one_line(shared_sim: Simulator, tmp_path) -> None:
    api_url = shared_sim.base_url.removesuffix("/v5") + "/v4"
    result = _tap(tmp_path, {**sim_config(shared_sim), "api_url": api_url})
    _assert_one_error_line(result, "GET /v4/user_account returned HTTP 404", "must end in /v5")


def test_an_unexpected_exception_keeps_its_traceback(shared_sim: Simulator, tmp_path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(sim_config(shared_sim)))
    program = (
        "import sys\n"
        "from tap_pinterest.streams.user import UserAccountStream\n"
        "from tap_pinterest.tap import TapPinterest\n"
        "def broken(self, response):\n"
        "    raise KeyError('a bug')\n"
        "UserAccountStream.parse_response = broken\n"
        f"sys.argv = ['tap-pinterest', '--config', {str(path)!r}]\n"
        "TapPinterest.cli()\n"
    )
    result = _run([sys.executable, "-c", program])
    assert result.returncode != 0
    assert "Traceback" in result.stderr
    assert "KeyError: 'a bug'" in result.stderr
    assert "An unhandled error occurred while syncing 'user_account'" in result.stderr


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (None, "not found"),
        ('{"access_token": "' + SECRET + '",}', "is not valid JSON (line 1, column"),
        ('["access_token"]', "holds a JSON array"),
        ("", "is not valid JSON"),
    ],
)
def test_a_bad_config_file_is_one_line(tmp_path, text: str | None, fragment: str) -> None:
    path = tmp_path / "settings.json"
    if text is not None:
        path.write_text(text)
    result = _run([sys.executable, "-m", "tap_pinterest", "--config", str(path)])
    _assert_one_error_line(result, f"Config file '{path}'", fragment, "JSON object of settings")
    assert len(own_lines(result.stderr)) == 1, result.stderr


@pytest.mark.parametrize(
    ("option", "text", "fragment"),
    [
        ("state", '{"bookmarks": ', "is not valid JSON (line 1, column 15"),
        ("state", '[{"bookmarks": {}}]', "holds a JSON array"),
        ("state", b"\xff\xfe{}", "is not UTF-8 text"),
        ("catalog", "{streams}", "is not valid JSON (line 1, column 2"),
        ("catalog", '"pins"', "holds a JSON string"),
        ("catalog", '{"streams": [{"stream": "pins"}]}', "is not a Singer catalog (KeyError"),
        ("catalog", '{"streams": 5}', "is not a Singer catalog (TypeError"),
    ],
)
def test_a_bad_state_or_catalog_file_is_one_line(
    shared_sim: Simulator, tmp_path, option: str, text: str | bytes, fragment: str
) -> None:
    """Before a request: one line naming the option, the file and what it must hold."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps(sim_config(shared_sim)))
    path = tmp_path / f"{option}.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    before = len(shared_sim.request_log.entries())
    result = _run(
        [sys.executable, "-m", "tap_pinterest", "--config", str(config), f"--{option}", str(path)]
    )
    holds = {"state": "the value of a STATE message", "catalog": "a Singer catalog"}[option]
    _assert_one_error_line(result, f"--{option} file '{path}'", fragment, holds)
    assert len(own_lines(result.stderr)) == 1, result.stderr
    assert result.stdout == ""
    assert len(shared_sim.request_log.entries()) == before  # no request was made


def test_a_directory_as_config_file_is_one_line(tmp_path) -> None:
    result = _run([sys.executable, "-m", "tap_pinterest", "--config", str(tmp_path), "--test"])
    _assert_one_error_line(result, "cannot be read")


def test_an_unreachable_token_endpoint_is_one_line(tmp_path, closed_port) -> None:
    config = {
        "api_url": f"http://127.0.0.1:{closed_port}/v5",
        "client_id": "1234",
        "client_secret": SECRET,
        "refresh_token": SECRET + "-refresh",
    }
    result = _tap(tmp_path, config)
    _assert_one_error_line(
        result, "OAuth token refresh failed: POST /v5/oauth/token", "refused", "api_url"
    )
