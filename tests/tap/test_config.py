"""Bad config fails before any request: one line naming the setting, no secret, no traceback."""

from __future__ import annotations

import copy
import json
import logging
import subprocess
import sys

import pytest
from conftest import sim_config
from singer_run import own_lines, run_cli

from tap_pinterest.config import ConfigError, unknown_settings, validate_settings
from tap_pinterest.settings import DEFAULT_API_URL, DEFAULTS
from tap_pinterest.simulator import Simulator
from tap_pinterest.tap import TapPinterest

SECRET = "s3cr3t-value-that-must-not-leak"
GOOD = {"access_token": SECRET}


@pytest.mark.parametrize(
    ("config", "setting", "fragment"),
    [
        ({}, "access_token", "no credentials"),
        ({"client_id": "app", "refresh_token": SECRET}, "client_secret", "required"),
        ({**GOOD, "start_date": "yesterday"}, "start_date", "ISO-8601"),
        ({**GOOD, "start_date": "2024-13-45"}, "start_date", "ISO-8601"),
        ({**GOOD, "entity_statuses": ["ACTIVE", "GONE"]}, "entity_statuses", "'GONE'"),
        ({**GOOD, "ad_account_ids": ["12a"]}, "ad_account_ids", "numeric"),
        ({**GOOD, "board_privacy": "FRIENDS"}, "board_privacy", "FRIENDS"),
        ({**GOOD, "api_url": "ftp://example.com"}, "api_url", "http(s)"),
        ({**GOOD, "rate_limit_max_wait_seconds": -1}, "rate_limit_max_wait_seconds", "negative"),
        ({**GOOD, "max_retries": "five"}, "max_retries", "integer"),
        ({"access_token": 12345}, "access_token", "string"),
        ({**GOOD, "granularity": "SECOND"}, "granularity", "SECOND"),
        ({**GOOD, "click_window_days": 3}, "click_window_days", "3"),
        ({**GOOD, "view_window_days": 90}, "view_window_days", "90"),
        ({**GOOD, "conversion_report_time": "LATER"}, "conversion_report_time", "LATER"),
        (
            {**GOOD, "analytics_columns": ["spend_in_micro_dollar", "FOO", "bar"]},
            "analytics_columns",
            "BAR, FOO",
        ),
        ({**GOOD, "end_date": "2024-02-30"}, "end_date", "ISO-8601"),
        ({**GOOD, "start_date": "2024-03-01", "end_date": "2024-02-01"}, "end_date", "before"),
        ({**GOOD, "lookback_days": -1}, "lookback_days", "negative"),
        ({**GOOD, "request_timeout": -5}, "request_timeout", "must not be negative"),
        ({**GOOD, "report_max_attempts": 0}, "report_max_attempts", "greater than 0"),
        ({**GOOD, "requests_per_minute": {"ads_read": 0}}, "requests_per_minute", "than 0"),
        ({**GOOD, "requests_per_minute": {"ads_reed": 5}}, "requests_per_minute", "ads_reed"),
        ({**GOOD, "max_concurrency": 0}, "max_concurrency", "at least 1"),
        ({**GOOD, "max_concurrency": 99}, "max_concurrency", "at most 32"),
        ({**GOOD, "access_tier": "gold"}, "access_tier", "gold"),
        ({**GOOD, "ad_account_ids": ["1", ""]}, "ad_account_ids", "'' is not a numeric"),
        ({**GOOD, "api_url": "https://"}, "api_url", "'https://' is not an http(s) URL"),
    ],
)
def test_each_bad_setting_is_named(config: dict, setting: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        validate_settings(config, TapPinterest.config_jsonschema)
    assert caught.value.setting == setting
    assert fragment in caught.value.message
    assert SECRET not in caught.value.message
    assert "12345" not in caught.value.message


def test_attribution_window_zero_is_valid() -> None:
    config = {**GOOD, "click_window_days": 0, "engagement_window_days": 0, "view_window_days": 0}
    validate_settings(config, TapPinterest.config_jsonschema)
    validate_settings(
        {**GOOD, "analytics_columns": ["spend_in_micro_dollar", "IMPRESSION_1"]},
        TapPinterest.config_jsonschema,
    )


def test_good_configs_pass() -> None:
    validate_settings(GOOD, TapPinterest.config_jsonschema)
    validate_settings(
        {"client_id": "1", "client_secret": SECRET, "refresh_token": SECRET},
        TapPinterest.config_jsonschema,
    )
    validate_settings(
        {**GOOD, "start_date": "2024-01-31", "ad_account_ids": ["549755885175"]},
        TapPinterest.config_jsonschema,
    )


def test_every_stream_reads_each_unset_setting_at_its_default() -> None:
    """Absent, null or empty: the default of the schema, filled in once by the tap."""
    given = {**GOOD, "api_url": "", "entity_statuses": [], "request_timeout": None}
    tap = TapPinterest(config={**given, "lookback_days": 0, "include_protected_pins": False})
    assert set(DEFAULTS) > {"api_url", "entity_statuses", "request_timeout", "lookback_days"}
    for stream in tap.streams.values():
        for name, default in DEFAULTS.items():
            if name not in {"lookback_days", "include_protected_pins"}:
                assert stream.config[name] == default, (stream.name, name)
        assert stream.config["lookback_days"] == 0
        assert stream.config["include_protected_pins"] is False
        assert stream.config["access_token"] == SECRET
    assert tap.config["api_url"] == DEFAULT_API_URL


def test_tap_refuses_bad_config_at_construction() -> None:
    with pytest.raises(ConfigError, match="start_date"):
        TapPinterest(config={**GOOD, "start_date": "soon"})


def test_discovery_needs_no_credentials() -> None:
    tap = TapPinterest(config={}, validate_config=False)
    assert "campaigns" in tap.streams


@pytest.mark.parametrize(
    ("config", "setting"),
    [
        ({"access_token": SECRET, "start_date": "31/01/2024"}, "start_date"),
        ({"client_id": "app", "client_secret": SECRET}, "refresh_token"),
        ({"access_token": SECRET, "entity_statuses": ["LIVE"]}, "entity_statuses"),
        ({"access_token": SECRET, "ad_account_ids": ["x1"]}, "ad_account_ids"),
        ({"access_token": SECRET, "api_url": "ftp://example"}, "api_url"),
        ({"access_token": SECRET, "lookback_days": -1}, "lookback_days"),
        ({"access_token": SECRET, "max_retries": "five"}, "max_retries"),
    ],
)
@pytest.mark.parametrize("mode", [[], ["--test"]])
def test_cli_prints_one_error_line(tmp_path, config: dict, setting: str, mode: list) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    result = subprocess.run(
        [sys.executable, "-m", "tap_pinterest", "--config", str(path), *mode],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if "Error" in line or "ERROR" in line]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("Error: Invalid config: ")
    assert setting in errors[0]
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stderr
    # Nothing but that line and INFO logs: not the SDK's own summary of the same failure.
    assert [line for line in own_lines(result.stderr) if "| INFO " not in line] == errors


def _schema_with_sdk_settings() -> dict:
    schema = copy.deepcopy(TapPinterest.config_jsonschema)
    TapPinterest.append_builtin_config(schema)
    return schema


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("strat_date", "start_date"),
        ("acess_token", "access_token"),
        ("ad_account_id", "ad_account_ids"),
        ("flatening_enabled", "flattening_enabled"),
        ("stream_map", "stream_maps"),
    ],
)
def test_an_unknown_key_gets_a_warning_naming_the_closest_setting(
    caplog, key: str, suggestion: str
) -> None:
    caplog.set_level(logging.WARNING)
    validate_settings({**GOOD, key: SECRET}, _schema_with_sdk_settings())
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [f"Unknown setting {key!r} (did you mean {suggestion!r}?)"]


def test_an_unknown_key_like_no_setting_points_to_about() -> None:
    warnings = unknown_settings({**GOOD, "zzz": 1}, _schema_with_sdk_settings())
    assert warnings == ["Unknown setting 'zzz' (tap-pinterest --about lists them all)"]


def test_the_warning_comes_before_the_error_it_explains(caplog) -> None:
    caplog.set_level(logging.WARNING)
    with pytest.raises(ConfigError, match="no credentials"):
        validate_settings({"acess_token": SECRET}, _schema_with_sdk_settings())
    assert "did you mean 'access_token'?" in caplog.text
    assert SECRET not in caplog.text


def test_the_sdk_settings_and_a_clean_config_get_no_warning(caplog) -> None:
    caplog.set_level(logging.WARNING)
    config = {
        **GOOD,
        "start_date": "2024-01-31",
        "stream_maps": {"boards": {"description": None}},
        "stream_map_config": {},
        "faker_config": {"seed": 1},
        "flattening_enabled": True,
        "flattening_max_depth": 2,
        "batch_config": {
            "encoding": {"format": "jsonl"},
            "storage": {"root": "file:///tmp"},
        },
        "user_agent": "my-pipeline/1.0",
    }
    TapPinterest(config=config)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


def test_the_tap_itself_warns_of_a_typo(caplog) -> None:
    caplog.set_level(logging.WARNING)
    TapPinterest(config={**GOOD, "strat_date": "2024-01-01"})
    assert "Unknown setting 'strat_date' (did you mean 'start_date'?)" in caplog.text


def test_the_cli_warns_of_a_typo_once(shared_sim: Simulator, tmp_path) -> None:
    result = run_cli({**sim_config(shared_sim), "strat_date": "2024-01-01"}, tmp_path, "--test")
    assert result.returncode == 0, result.stderr[-2000:]
    warnings = [line for line in result.stderr.splitlines() if "Unknown setting" in line]
    assert len(warnings) == 1, result.stderr[-2000:]
    assert warnings[0].endswith("Unknown setting 'strat_date' (did you mean 'start_date'?)")
