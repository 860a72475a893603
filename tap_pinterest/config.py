"""Checks of the settings that run before any request: one clear line per mistake.

A wrong setting stops the run (:class:`ConfigError`); a key that is no setting at
all is most likely a typo, and gets a warning naming the closest setting.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import logging
import typing as t
from pathlib import Path
from urllib.parse import urlparse

import click
import pendulum
from jsonschema import Draft7Validator

from tap_pinterest.client import DEFAULT_API_URL
from tap_pinterest.schema_files import load_schema
from tap_pinterest.streams.ads import ENTITY_STATUSES

BOARD_PRIVACY = ("ALL", "PUBLIC", "PROTECTED", "SECRET", "PUBLIC_AND_SECRET")
REFRESH_SETTINGS = ("client_id", "client_secret", "refresh_token")
ATTRIBUTION_WINDOWS = (0, 1, 7, 14, 30, 60)
CONVERSION_REPORT_TIMES = ("TIME_OF_AD_ACTION", "TIME_OF_CONVERSION")
NON_NEGATIVE = (
    "lookback_days",
    "report_poll_interval_seconds",
    "report_timeout_seconds",
    "rate_limit_max_wait_seconds",
    "max_retries",
    "retry_base_wait_seconds",
    "request_timeout",
)
_LOGGER = logging.getLogger("tap-pinterest")


class ConfigError(click.ClickException):
    """A setting is wrong: one line naming it, never its value if it is secret.

    A ClickException, so the command line prints ``Error: ...`` without a traceback.
    """

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"Invalid config: {setting}: {problem}")
        self.setting = setting


class ConfigFileError(click.ClickException):
    """A ``--config`` file is missing or is not a JSON object: one line, no traceback."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"Config file {path!r} {problem}")


def check_config_file(path: str) -> None:
    """Raise :class:`ConfigFileError` unless ``path`` holds one JSON object of settings.

    The message quotes no part of the file: it may hold secrets.
    """
    settings = "a JSON object of settings (tap-pinterest --about lists them)"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigFileError(path, f"not found: pass --config a file holding {settings}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise ConfigFileError(path, f"cannot be read ({reason}): it must hold {settings}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise ConfigFileError(
            path, f"is not valid JSON ({where}): it must hold {settings}"
        ) from None
    if not isinstance(document, dict):
        kind = type(document).__name__
        raise ConfigFileError(path, f"holds a JSON {kind}: it must hold {settings}")


def unknown_settings(config: t.Mapping[str, t.Any], schema: t.Mapping[str, t.Any]) -> list[str]:
    """A warning for each key that is no setting in ``schema``, naming the closest one."""
    known = sorted(schema["properties"])
    warnings = []
    for key in sorted(set(config) - set(known)):
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "tap-pinterest --about lists them all"
        warnings.append(f"Unknown setting {key!r} ({hint})")
    return warnings


def validate_settings(
    config: t.Mapping[str, t.Any],
    schema: t.Mapping[str, t.Any],
    logger: logging.Logger = _LOGGER,
) -> None:
    """Warn of each unknown key, then raise :class:`ConfigError` for the first wrong setting.

    ``schema`` must hold the SDK's built-in settings too (``append_builtin_config``).
    """
    for warning in unknown_settings(config, schema):
        logger.warning(warning)
    _check_schema(config, schema)
    _check_credentials(config)
    _check_values(config)


def _check_schema(config: t.Mapping[str, t.Any], schema: t.Mapping[str, t.Any]) -> None:
    secret = {name for name, prop in schema["properties"].items() if prop.get("secret")}
    for error in sorted(Draft7Validator(schema).iter_errors(dict(config)), key=str):
        if not error.path:
            raise ConfigError("config", "must be a JSON object of settings")
        setting = str(error.path[0])
        if error.validator == "type":
            types = error.validator_value
            wanted = [types] if isinstance(types, str) else [t for t in types if t != "null"]
            raise ConfigError(setting, f"must be of type {' or '.join(wanted)}")
        if setting in secret:
            raise ConfigError(setting, f"fails the {error.validator!r} rule")
        raise ConfigError(setting, error.message)


def _check_credentials(config: t.Mapping[str, t.Any]) -> None:
    refresh = {key: bool(config.get(key)) for key in REFRESH_SETTINGS}
    if any(refresh.values()) and not all(refresh.values()):
        missing = ", ".join(key for key, present in refresh.items() if not present)
        raise ConfigError(missing, "required with the other refresh-token settings")
    if not config.get("access_token") and not all(refresh.values()):
        raise ConfigError(
            "access_token",
            "no credentials: set access_token, or client_id, client_secret and refresh_token",
        )


def _date(config: t.Mapping[str, t.Any], name: str) -> dt.date | None:
    value = config.get(name)
    if not value:
        return None
    try:
        parsed = pendulum.parse(value)
    except (ValueError, TypeError, pendulum.parsing.exceptions.ParserError):
        parsed = None
    if not isinstance(parsed, dt.date):
        raise ConfigError(name, f"{value!r} is not an ISO-8601 date such as 2024-01-31")
    return parsed.date() if isinstance(parsed, dt.datetime) else parsed


def ads_columns() -> list[str]:
    """Every column the ads analytics endpoints accept (UPPER_CASE), from their schema."""
    properties = load_schema("campaign_analytics")["properties"]
    return [name.upper() for name in properties if name not in {"date"}]


def _check_values(config: t.Mapping[str, t.Any]) -> None:
    api_url = urlparse(str(config.get("api_url") or DEFAULT_API_URL))
    if api_url.scheme not in {"http", "https"} or not api_url.netloc:
        raise ConfigError("api_url", f"{config.get('api_url')!r} is not an http(s) URL")
    dates = {name: _date(config, name) for name in ("start_date", "end_date")}
    if dates["start_date"] and dates["end_date"] and dates["end_date"] < dates["start_date"]:
        raise ConfigError("end_date", f"{dates['end_date']} is before start_date")
    if unknown_columns := sorted(
        {str(c).upper() for c in config.get("analytics_columns") or []} - set(ads_columns())
    ):
        raise ConfigError(
            "analytics_columns",
            f"unknown column(s) {', '.join(unknown_columns)}; see schemas/campaign_analytics.json "
            "for the valid ones (upper or lower case)",
        )
    if unknown := [s for s in config.get("entity_statuses") or [] if s not in ENTITY_STATUSES]:
        problem = f"unknown status {unknown[0]!r}; valid: {', '.join(ENTITY_STATUSES)}"
        raise ConfigError("entity_statuses", problem)
    if bad := [a for a in config.get("ad_account_ids") or [] if not str(a).isdigit()]:
        raise ConfigError("ad_account_ids", f"{bad[0]!r} is not a numeric ad account id")
    for name in NON_NEGATIVE:
        if name in config and config[name] < 0:
            raise ConfigError(name, "must not be negative")
    for name in ("analytics_requests_per_minute", "report_max_attempts"):
        if name in config and config[name] <= 0:
            raise ConfigError(name, "must be greater than 0")
