"""tap-pinterest-sim: foreground server, --write-config, clean exit, one-line errors."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
import requests

from tap_pinterest.simulator import cli
from tap_pinterest.simulator.api.faults import Faults

README = Path(__file__).resolve().parents[2] / "README.md"

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


class _Recorder:
    """Stands in for `Simulator` in `cli`: records its arguments, then fails to listen."""

    calls: list[dict[str, Any]]

    def __init__(self, **kwargs: Any) -> None:
        type(self).calls.append(kwargs)

    def start(self) -> None:
        raise OSError(98, "Address already in use")


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    monkeypatch.setattr(_Recorder, "calls", [], raising=False)
    monkeypatch.setattr(cli, "Simulator", _Recorder)
    return _Recorder.calls


def _simulator_arguments(
    recorded: list[dict[str, Any]], capsys: pytest.CaptureFixture[str], *args: str
) -> dict[str, Any]:
    assert cli.main(list(args)) == 1
    assert "cannot listen" in capsys.readouterr().err
    (kwargs,) = recorded
    return kwargs


def test_every_flag_reaches_the_simulator(
    recorded: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    kwargs = _simulator_arguments(
        recorded,
        capsys,
        *("--seed", "7", "--scale", "0.25", "--host", "::1", "--port", "0"),
        *("--token-ttl", "60", "--static-token-ttl", "30"),
        *("--latency-ms", "5", "--error-rate", "0.1", "--drop-rate", "0.2"),
        *("--rate-limit", "ads_analytics=300/60", "--rate-limit", "org_analytics=1000/86400"),
        *("--report-poll-delay", "0", "--report-url-ttl", "60", "--report-ttl", "120"),
        "--no-keywords-ad-group-ids",
    )
    faults = kwargs.pop("faults")
    assert kwargs == {
        "seed": 7,
        "scale": 0.25,
        "host": "::1",
        "port": 0,
        "token_ttl": 60,
        "static_token_ttl": 30,
        "keywords_ad_group_ids_supported": False,
        "report_poll_delay": 0,
        "report_url_ttl": 60,
        "report_ttl": 120,
    }
    assert isinstance(faults, Faults)
    assert (faults.latency_ms, faults.error_rate, faults.drop_rate, faults.seed) == (5, 0.1, 0.2, 7)
    assert faults.rate_limits == {"ads_analytics": (300, 60.0), "org_analytics": (1000, 86400.0)}


def test_defaults(recorded: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]) -> None:
    kwargs = _simulator_arguments(recorded, capsys)
    faults = kwargs.pop("faults")
    assert kwargs == {
        "seed": 1,
        "scale": 1,
        "host": "127.0.0.1",
        "port": 8765,
        "token_ttl": 3600,
        "static_token_ttl": None,
        "keywords_ad_group_ids_supported": True,
        "report_poll_delay": 2,
        "report_url_ttl": 300,
        "report_ttl": 3600,
    }
    assert (faults.latency_ms, faults.error_rate, faults.drop_rate) == (0, 0, 0)
    assert faults.rate_limits == {}


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--scale", "nan"], "--scale"),
        (["--scale", "-1"], "--scale"),
        (["--latency-ms", "inf"], "--latency-ms"),
        (["--drop-rate", "-0.1"], "--drop-rate"),
        (["--token-ttl", "0"], "--token-ttl"),
        (["--static-token-ttl", "0"], "--static-token-ttl"),
        (["--token-ttl", "1.5"], "--token-ttl"),
        (["--report-poll-delay", "-1"], "--report-poll-delay"),
        (["--report-url-ttl", "0.5"], "--report-url-ttl"),
        (["--report-ttl", "0"], "--report-ttl"),
        (["--seed", "x"], "--seed"),
        (["--port"], "--port"),
        (["--rate-limit", "ads_read"], "CATEGORY=REQUESTS/SECONDS"),
        (["--rate-limit", "ads_read=0/60"], "REQUESTS/SECONDS"),
        (["--no-keywords-ad-group-ids=1"], "--no-keywords-ad-group-ids"),
        (["--prot", "1"], "unrecognized option --prot (did you mean --port"),
        (["serve"], "serve"),
    ],
)
def test_every_bad_value_is_refused_before_the_simulator_starts(
    recorded: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    fragment: str,
) -> None:
    assert cli.main(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], lines
    assert lines[0].startswith("tap-pinterest-sim: error:")
    assert recorded == []


def test_write_config_to_a_directory_is_refused(
    tmp_path: Path, recorded: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--write-config", str(tmp_path)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("tap-pinterest-sim: error:") and "--write-config" in line
    assert recorded == []


def test_interrupt_while_generating_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(**_kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "Simulator", interrupted)
    assert cli.main(["--port", "0"]) == 130
    assert capsys.readouterr().err.strip() == "tap-pinterest-sim: error: interrupted"


def _readme_simulator_section() -> str:
    text = README.read_text()
    start = text.index("## The simulator\n")
    return text[start : text.index("\n## ", start + 1)]


def test_the_readme_flags_and_examples_parse() -> None:
    section = _readme_simulator_section()
    (command,) = re.findall(r"^tap-pinterest-sim (.*?) &$", section, re.MULTILINE)
    examples = [command.split(), *(m.split() for m in re.findall(r"`(--[^`]+)`", section))]
    documented = {token for args in examples for token in args if token.startswith("--")}
    assert documented >= {
        *("--seed", "--scale", "--port", "--write-config", "--no-keywords-ad-group-ids"),
        *("--token-ttl", "--latency-ms", "--error-rate", "--drop-rate", "--rate-limit"),
        *("--report-poll-delay", "--report-url-ttl"),
    }
    switches = {
        opt for param in cli.serve.params if getattr(param, "is_flag", False) for opt in param.opts
    }
    for args in examples:
        if len(args) == 1 and args[0] not in switches:
            args.append("1")  # an option named alone in the prose: give it a valid value
        cli.serve.make_context(cli.PROG, args)


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_lists_every_flag(flag: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tap_pinterest.simulator", flag],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("Usage: tap-pinterest-sim [OPTIONS]")
    for option in cli.serve.params:
        assert option.opts[0] in result.stdout
        assert option.help and " ".join(option.help.split()[:3]) in " ".join(result.stdout.split())
    assert "--rate-limit CATEGORY=N/SECONDS" in result.stdout
    assert "(default 2)" in result.stdout and "(default 300)" in result.stdout


def test_the_console_script_is_main() -> None:
    (script,) = entry_points(group="console_scripts", name="tap-pinterest-sim")
    assert script.load() is cli.main


def test_the_rate_limit_type_converts_a_spec_and_keeps_a_converted_value() -> None:
    kind = cli.RateLimit()
    assert kind.convert("ads_read=10/1.5", None, None) == ("ads_read", 10, 1.5)
    assert kind.convert(("ads_read", 10, 1.5), None, None) == ("ads_read", 10, 1.5)
