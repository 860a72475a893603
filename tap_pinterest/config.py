"""Checks of the settings that run before any request: one clear line per mistake.

The settings and their rules are declared once, in :mod:`tap_pinterest.settings`; this
module words the errors of that schema, and checks what a schema cannot say (the
credentials, dates, end_date after start_date, the analytics columns). A wrong setting
stops the run (:class:`ConfigError`); a key that is no setting at all is most likely a
typo, and gets a warning naming the closest setting.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import json
import logging
import typing as t
from pathlib import Path

import click
import pendulum
from jsonschema import Draft7Validator
from singer_sdk.singerlib import Catalog

from tap_pinterest.schema_files import load_schema
from tap_pinterest.settings import (
    HTTP_URL,
    NUMERIC_ID,
    REFRESH_SETTINGS,
)

if t.TYPE_CHECKING:
    from jsonschema import ValidationError

#: What a string that fails each pattern of the settings is not.
PATTERN_MEANINGS = {HTTP_URL: "an http(s) URL", NUMERIC_ID: "a numeric ad account id"}
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
        raise ConfigFileError(path, f"holds a JSON {json_kind(document)}: it must hold {settings}")


def json_kind(value: object) -> str:
    """What a JSON document that is not an object is: an array, a string, ..."""
    if isinstance(value, bool):
        return "boolean"
    kinds = {list: "array", str: "string", int: "number", float: "number", type(None): "null"}
    return kinds.get(type(value), type(value).__name__)


class RunFileError(click.ClickException):
    """A ``--state`` or ``--catalog`` file that cannot be used: one line, no traceback."""


#: What each file a run reads must hold, by its option.
RUN_FILES = {
    "state": "the value of a STATE message, as a target wrote it (a JSON object)",
    "catalog": "a Singer catalog, as tap-pinterest --discover writes it",
}


def read_run_file(option: str, file: t.IO[str]) -> t.IO[str]:
    """The ``--state`` or ``--catalog`` file, read and checked: a JSON object (a catalog
    that the SDK can read), else :class:`RunFileError`. Returns its text, to read again.

    The message quotes no part of the file.
    """
    name = getattr(file, "name", option)
    holds = RUN_FILES[option]

    def error(problem: str) -> RunFileError:
        return RunFileError(f"--{option} file {name!r} {problem}: it must hold {holds}")

    try:
        text = file.read()
    except UnicodeDecodeError:
        raise error("is not UTF-8 text") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(
            f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(document, dict):
        raise error(f"holds a JSON {json_kind(document)}")
    if option == "catalog":
        try:
            Catalog.from_dict(document)
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            raise error(f"is not a Singer catalog ({type(exc).__name__}: {exc})") from None
    return io.StringIO(text)


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
        inner = [str(key) for key in list(error.path)[1:] if isinstance(key, str)]
        problem = _problem(error)
        raise ConfigError(setting, f"{'.'.join(inner)} {problem}" if inner else problem)


def _problem(error: ValidationError) -> str:
    """The words for a schema rule a setting breaks (never a secret's: see the caller)."""
    rule, value = error.validator, error.validator_value
    if rule == "minimum":
        return "must not be negative" if value == 0 else f"must be at least {value}"
    if rule == "exclusiveMinimum":
        return f"must be greater than {value}"
    if rule == "maximum":
        return f"must be at most {value}"
    if rule == "additionalProperties" and isinstance(error.instance, dict):
        known = list(error.schema.get("properties", {}))
        unknown = ", ".join(repr(k) for k in sorted(set(error.instance) - set(known)))
        return f"{unknown} is not one of {', '.join(known)}"
    if rule == "pattern" and value in PATTERN_MEANINGS:
        return f"{error.instance!r} is not {PATTERN_MEANINGS[value]}"
    return str(error.message)


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
