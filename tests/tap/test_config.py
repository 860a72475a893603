"""Bad config fails before any request: one line naming the setting, no secret, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tap_pinterest.config import ConfigError, validate_settings
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
