"""tap-pinterest-sim: foreground server, --write-config, clean exit, one-line errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

CLI = [sys.executable, "-m", "tap_pinterest.simulator.cli"]


def _start(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [*CLI, *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    assert "serving" in line, line
    return process, line


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serves_writes_config_and_stops_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    config_path = tmp_path / "nested" / "config.json"
    process, line = _start(
        "--port",
        "0",
        "--scale",
        "0.5",
        "--seed",
        "4",
        "--rate-limit",
        "ads_read=100/60",
        "--write-config",
        str(config_path),
    )
    try:
        config = json.loads(config_path.read_text())
        assert set(config) == {"api_url", "access_token"}
        assert config["api_url"] in line and str(config_path) in line
        assert config["api_url"].startswith("http://127.0.0.1:")
        assert config["api_url"].endswith("/v5")
        response = requests.get(
            config["api_url"] + "/ad_accounts",
            timeout=5,
            headers={"Authorization": f"Bearer {config['access_token']}"},
        )
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "100"
    finally:
        process.send_signal(sig)
        _, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--error-rate", "1.5"], "--error-rate"),
        (["--rate-limit", "ads_read=fast"], "REQUESTS/SECONDS"),
        (["--rate-limit", "nope=1/1"], "unknown category"),
        (["--port", "99999"], "--port"),
        (["--scale", "big"], "--scale"),
        (["--bogus"], "unrecognized"),
    ],
)
def test_bad_flags_give_one_line_errors(args: list[str], fragment: str) -> None:
    result = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr
    assert lines[0].startswith("tap-pinterest-sim: error:")


def test_port_in_use_is_a_one_line_error() -> None:
    process, line = _start("--port", "0", "--scale", "0.1")
    try:
        port = line.split("127.0.0.1:")[1].split("/")[0]
        result = subprocess.run(
            [*CLI, "--port", port, "--scale", "0.1"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode == 1
        assert result.stderr.strip().count("\n") == 0
        assert "cannot listen" in result.stderr
    finally:
        process.terminate()
        process.communicate(timeout=10)
    time.sleep(0)
