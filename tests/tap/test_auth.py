"""Refresh-token auth against the simulator: refresh, rotation, cache, 401s, expiry warning."""

from __future__ import annotations

import hashlib
import json
import logging
import stat
import subprocess
import sys
import time

import pytest
import requests
import time_machine
from conftest import sim_config
from singer_run import parse_messages, run_tap

from tap_pinterest.auth import REFRESH_MARGIN_SECONDS, AuthenticationError
from tap_pinterest.simulator import Simulator
from tap_pinterest.tap import TapPinterest

TOKEN_ROUTE = ("POST", "/v5/oauth/token")


class Clock:
    """A simulator clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def refresh_config(sim: Simulator, refresh_token: str, **extra) -> dict:
    return {
        "api_url": sim.base_url,
        "client_id": sim.client_id,
        "client_secret": sim.client_secret,
        "refresh_token": refresh_token,
        **extra,
    }


def test_refresh_mode_syncs_and_keeps_the_rotated_token(sim: Simulator) -> None:
    original = sim.refresh_token
    tap = TapPinterest(config=refresh_config(sim, original))
    stream = tap.streams["boards"]
    records = list(stream.get_records(None))
    assert len(records) == len(sim.dataset.boards)
    authenticator = tap.run_state.authenticator
    assert sim.refresh_token != original
    assert authenticator.refresh_token == sim.refresh_token
    assert sim.request_log.counts()[TOKEN_ROUTE] == 1


def test_rotated_token_without_cache_fails_next_run_clearly(sim: Simulator) -> None:
    original = sim.refresh_token
    run_tap(refresh_config(sim, original), streams=["boards"])
    with pytest.raises(AuthenticationError) as caught:
        run_tap(refresh_config(sim, original), streams=["boards"])
    message = str(caught.value)
    assert "token_cache_path" in message
    assert original not in message
    assert sim.client_secret not in message


def test_token_cache_carries_the_rotated_token_to_the_next_run(sim: Simulator, tmp_path) -> None:
    original = sim.refresh_token
    cache = tmp_path / "nested" / "token.json"
    config = refresh_config(sim, original, token_cache_path=str(cache))
    run_tap(config, streams=["boards"])
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    saved = json.loads(cache.read_text())
    assert saved["refresh_token"] == sim.refresh_token != original
    # The second run reuses the cached, still valid access token: no refresh at all.
    sim.request_log.reset()
    second = run_tap(config, streams=["boards"])
    assert len(second.records["boards"]) == len(sim.dataset.boards)
    assert TOKEN_ROUTE not in sim.request_log.counts()
    assert [p.name for p in cache.parent.iterdir()] == ["token.json"]


def test_a_new_configured_token_wins_over_the_cache(sim: Simulator, tmp_path) -> None:
    cache = tmp_path / "token.json"
    run_tap(refresh_config(sim, sim.refresh_token, token_cache_path=str(cache)), streams=["boards"])
    # The user re-authorises elsewhere: the cached refresh token is rotated away.
    response = requests.post(
        f"{sim.base_url}/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": sim.refresh_token},
        auth=(sim.client_id, sim.client_secret),
        timeout=10,
    )
    assert response.status_code == 200
    fresh = sim.refresh_token
    sim.request_log.reset()
    result = run_tap(refresh_config(sim, fresh, token_cache_path=str(cache)), streams=["boards"])
    assert result.records["boards"]
    assert sim.request_log.counts()[TOKEN_ROUTE] == 1  # the stale cache was not used
    saved = json.loads(cache.read_text())
    assert saved["configured_refresh_token_sha256"] == hashlib.sha256(fresh.encode()).hexdigest()
    assert saved["refresh_token"] == sim.refresh_token


def test_expired_access_token_is_refreshed_once_on_401(tmp_path) -> None:
    clock = Clock()
    with Simulator(seed=3, scale=1, token_ttl=3600, clock=clock) as sim:
        cache = tmp_path / "token.json"
        config = refresh_config(sim, sim.refresh_token, token_cache_path=str(cache))
        run_tap(config, streams=["boards"])
        clock.now += 7200  # the cached access token has expired at Pinterest
        sim.request_log.reset()
        result = run_tap(config, streams=["boards"])
        assert len(result.records["boards"]) == len(sim.dataset.boards)
        statuses = [(e.route, e.status) for e in sim.request_log.entries()]
        assert statuses[0] == ("/v5/boards", 401)
        assert statuses[1] == ("/v5/oauth/token", 200)
        assert statuses[2] == ("/v5/boards", 200)


def test_a_second_401_right_after_refresh_fails_clearly(sim: Simulator) -> None:
    body = {"code": 2, "message": "Authentication failed."}
    sim.faults.script("/v5/boards", status=401, body=body, times=2)
    with pytest.raises(Exception, match=r"refused even right after a refresh") as caught:
        run_tap(refresh_config(sim, sim.refresh_token), streams=["boards"])
    assert "Pinterest code 2" in str(caught.value)


def test_access_token_mode_401_says_what_to_do(sim: Simulator) -> None:
    with pytest.raises(Exception, match=r"access_token is invalid or expired") as caught:
        run_tap({"api_url": sim.base_url, "access_token": "not-a-token"}, streams=["boards"])
    assert "not-a-token" not in str(caught.value)


def test_refresh_happens_before_expiry(sim: Simulator) -> None:
    tap = TapPinterest(config=refresh_config(sim, sim.refresh_token))
    authenticator = tap.run_state.authenticator
    with time_machine.travel(0, tick=False) as traveller:
        authenticator.update_access_token()
        assert authenticator.is_token_valid()
        traveller.shift(authenticator.expires_in - REFRESH_MARGIN_SECONDS - 1)
        assert authenticator.is_token_valid()
        traveller.shift(2)
        assert not authenticator.is_token_valid()


def test_refresh_token_expiring_soon_warns_once(caplog) -> None:
    with Simulator(seed=5, scale=1, refresh_token_ttl=10 * 86400) as sim:
        caplog.set_level(logging.WARNING)
        tap = TapPinterest(config=refresh_config(sim, sim.refresh_token))
        authenticator = tap.run_state.authenticator
        authenticator.update_access_token()
        authenticator.update_access_token()
    warnings = [r.getMessage() for r in caplog.records if "expires in" in r.getMessage()]
    assert len(warnings) == 1
    assert "9.9 days" in warnings[0] or "10.0 days" in warnings[0]


def test_continuous_refresh_is_sent_when_asked(sim: Simulator) -> None:
    plain = TapPinterest(config=refresh_config(sim, sim.refresh_token))
    assert "continuous_refresh" not in plain.run_state.authenticator.oauth_request_body
    config = refresh_config(sim, sim.refresh_token, continuous_refresh=True)
    authenticator = TapPinterest(config=config).run_state.authenticator
    assert authenticator.oauth_request_body == {
        "grant_type": "refresh_token",
        "refresh_token": sim.refresh_token,
        "continuous_refresh": "true",
    }
    authenticator.update_access_token()  # the simulator accepts the flag
    assert sim.request_log.counts()[TOKEN_ROUTE] == 1


def test_no_secret_reaches_stderr_of_a_full_cli_sync(sim: Simulator, tmp_path) -> None:
    original = sim.refresh_token
    cache = tmp_path / "token.json"
    config = refresh_config(sim, original, token_cache_path=str(cache))
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    result = subprocess.run(
        [sys.executable, "-m", "tap_pinterest", "--config", str(config_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert parse_messages(result.stdout).records["pins"]
    saved = json.loads(cache.read_text())
    secrets = {
        original,
        sim.client_secret,
        saved["refresh_token"],
        saved["access_token"],
        sim.access_token,
    }
    for secret in secrets:
        assert secret not in result.stderr
        assert secret not in result.stdout
    assert "Bearer" not in result.stderr
    assert "Authorization" not in result.stderr


def test_about_shows_no_secret_values(sim: Simulator, tmp_path) -> None:
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(sim_config(sim)))
    result = subprocess.run(
        [sys.executable, "-m", "tap_pinterest", "--about", "--config", str(config_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert sim.access_token not in result.stdout + result.stderr
