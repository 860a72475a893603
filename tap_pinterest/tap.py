"""TapPinterest: the settings, their validation, and the stream registry."""

from __future__ import annotations

import copy
import typing as t

from singer_sdk import Tap
from singer_sdk import typing as th
from typing_extensions import override

from tap_pinterest.auth import AccessTokenAuthenticator, RefreshTokenAuthenticator
from tap_pinterest.client import DEFAULT_API_URL, RunState
from tap_pinterest.config import (
    ATTRIBUTION_WINDOWS,
    BOARD_PRIVACY,
    CONVERSION_REPORT_TIMES,
    REFRESH_SETTINGS,
    check_config_file,
    validate_settings,
)
from tap_pinterest.pacing import Pacer
from tap_pinterest.reporting import failures_in_one_line, start_run
from tap_pinterest.streams import STREAM_TYPES
from tap_pinterest.streams.ads import ENTITY_STATUSES
from tap_pinterest.streams.analytics.windows import GRANULARITIES

if t.TYPE_CHECKING:
    from pathlib import PurePath

    import click
    from singer_sdk.streams import Stream

    from tap_pinterest.auth import PinterestAuthenticator


def _secret_string(name: str, description: str) -> th.Property:
    return th.Property(name, th.StringType, secret=True, description=description)


#: Rate-limit categories of the analytics endpoints, paced by analytics_requests_per_minute.
ANALYTICS_CATEGORIES = ("ads_analytics", "org_analytics")


class TapPinterest(Tap):
    """Singer tap for the Pinterest REST API v5."""

    name = "tap-pinterest"

    config_jsonschema = th.PropertiesList(
        _secret_string(
            "access_token",
            "A Pinterest OAuth access token, sent as a Bearer token. Use it, or the "
            "three refresh settings (client_id, client_secret, refresh_token).",
        ),
        th.Property(
            "client_id",
            th.StringType,
            description="The Pinterest app id, for refreshing access tokens.",
        ),
        _secret_string("client_secret", "The Pinterest app secret, for refreshing tokens."),
        _secret_string(
            "refresh_token",
            "An OAuth refresh token. Pinterest rotates it on every refresh: set "
            "token_cache_path to keep the new one across runs.",
        ),
        th.Property(
            "continuous_refresh",
            th.BooleanType,
            default=False,
            description="Send continuous_refresh=true when refreshing (needed for apps "
            "created before 2025-09-25).",
        ),
        th.Property(
            "token_cache_path",
            th.StringType,
            description="A file where the rotated refresh token is kept between runs "
            "(written atomically, mode 0600).",
        ),
        th.Property(
            "api_url",
            th.StringType,
            default=DEFAULT_API_URL,
            description="The API base URL; https://api-sandbox.pinterest.com/v5 for the "
            "sandbox, or a local tap-pinterest-sim.",
        ),
        th.Property(
            "start_date",
            th.StringType,
            description="ISO-8601 date (YYYY-MM-DD). The first run of campaigns, ad_groups "
            "and ads emits only records updated on or after it.",
        ),
        th.Property(
            "ad_account_ids",
            th.ArrayType(th.StringType),
            default=[],
            description="Numeric ids of the ad accounts to sync. Empty: every account "
            "the token can access, shared ones included.",
        ),
        th.Property(
            "entity_statuses",
            th.ArrayType(th.StringType),
            default=list(ENTITY_STATUSES),
            description="Statuses of campaigns, ad groups and ads to sync, from "
            f"{', '.join(ENTITY_STATUSES)}. Default: all (archived included).",
        ),
        th.Property(
            "board_privacy",
            th.StringType,
            default="ALL",
            allowed_values=list(BOARD_PRIVACY),
            description="Which boards to sync, by privacy. ALL needs the boards:read_secret "
            "scope for secret boards.",
        ),
        th.Property(
            "include_protected_pins",
            th.BooleanType,
            default=True,
            description="Include protected pins in the pins stream.",
        ),
        th.Property(
            "end_date",
            th.StringType,
            description="ISO-8601 date: the last day the analytics streams read (default: "
            "today, UTC).",
        ),
        th.Property(
            "analytics_columns",
            th.ArrayType(th.StringType),
            description="Columns of the ads analytics streams, e.g. SPEND_IN_MICRO_DOLLAR "
            "(any case). Default: every column the endpoints accept.",
        ),
        th.Property(
            "granularity",
            th.StringType,
            default="DAY",
            allowed_values=list(GRANULARITIES),
            description="Time grain of the ads analytics rows: DAY, HOUR (8 days back at "
            "most), WEEK or MONTH.",
        ),
        *[
            th.Property(
                name,
                th.IntegerType,
                default=default,
                allowed_values=list(ATTRIBUTION_WINDOWS),
                description=f"Conversion attribution window after {action}, in days: "
                "0, 1, 7, 14, 30 or 60.",
            )
            for name, default, action in (
                ("click_window_days", 30, "a click"),
                ("engagement_window_days", 30, "an engagement"),
                ("view_window_days", 1, "a view"),
            )
        ],
        th.Property(
            "conversion_report_time",
            th.StringType,
            default="TIME_OF_AD_ACTION",
            allowed_values=list(CONVERSION_REPORT_TIMES),
            description="Report conversions on the day of the ad action or of the conversion.",
        ),
        th.Property(
            "lookback_days",
            th.IntegerType,
            default=30,
            description="Days before the bookmark that every analytics run reads again, "
            "because Pinterest restates conversions for up to 30 days.",
        ),
        th.Property(
            "analytics_requests_per_minute",
            th.NumberType,
            default=300,
            description="Budget the tap paces analytics calls under, per rate-limit category "
            "(ads_analytics is 300/min on standard access).",
        ),
        th.Property(
            "report_poll_interval_seconds",
            th.NumberType,
            default=5,
            description="First wait between polls of an async report (doubles, up to 60 s).",
        ),
        th.Property(
            "report_timeout_seconds",
            th.NumberType,
            default=1800,
            description="How long one async report may take before a new one is requested.",
        ),
        th.Property(
            "report_max_attempts",
            th.IntegerType,
            default=3,
            description="Reports tried per window (after FAILED, EXPIRED, CANCELLED or a "
            "timeout) before the sync fails.",
        ),
        th.Property(
            "rate_limit_max_wait_seconds",
            th.IntegerType,
            default=600,
            description="The longest total wait on HTTP 429 for one request; past it the "
            "sync fails (and resumes from state next run).",
        ),
        th.Property(
            "max_retries",
            th.IntegerType,
            default=5,
            description="Retries of a request after a 5xx or a connection error.",
        ),
        th.Property(
            "retry_base_wait_seconds",
            th.NumberType,
            default=1.0,
            description="First wait before retrying a 5xx or a connection error; it doubles "
            "on each retry, up to 60 seconds.",
        ),
        th.Property(
            "request_timeout",
            th.IntegerType,
            default=300,
            description="Seconds to wait for one HTTP response.",
        ),
        th.Property(
            "user_agent",
            th.StringType,
            description="The User-Agent header sent to Pinterest (default: "
            "tap-pinterest/<version>).",
        ),
        th.Property(
            "emit_activate_version_messages",
            th.BooleanType,
            default=False,
            description="Send ACTIVATE_VERSION once a full-table stream has synced in full, "
            "so the target deletes the records Pinterest no longer returns. Never sent "
            "after a failed sync, so nothing is deleted then.",
        ),
    ).to_dict()
    #: The tap's own settings. The SDK appends its built-in ones (stream_maps, ...) to
    #: ``config_jsonschema`` in place when it validates a config; docs use this copy.
    own_settings: t.ClassVar[dict[str, t.Any]] = copy.deepcopy(config_jsonschema["properties"])

    def __init__(
        self,
        *,
        config: dict | PurePath | str | list[PurePath | str] | None = None,
        catalog: PurePath | str | dict | None = None,
        state: PurePath | str | dict | None = None,
        parse_env_config: bool = False,
        validate_config: bool = True,
        setup_mapper: bool = True,
    ) -> None:
        """Validate the settings (when asked) before any stream or request exists."""
        start_run()
        self._run_state: RunState | None = None
        self._validate_settings = validate_config
        super().__init__(
            config=config,
            catalog=catalog,
            state=state,
            parse_env_config=parse_env_config,
            validate_config=False,
            setup_mapper=setup_mapper,
        )
        if validate_config and not setup_mapper:
            self._check_settings()

    @override
    def setup_mapper(self) -> None:
        """Check the settings before the SDK builds mappers and streams from them."""
        if self._validate_settings:
            self._check_settings()
        super().setup_mapper()

    def _check_settings(self) -> None:
        """The tap's settings and the SDK's built-in ones (stream_maps, ...) are known."""
        self.append_builtin_config(self.config_jsonschema)
        validate_settings(self.config, self.config_jsonschema, self.logger)

    @classmethod
    @override
    def cb_config(cls, ctx: click.Context, param: click.Option, value: tuple[str, ...]) -> t.Any:
        """Read the ``--config`` files; a missing or malformed one is one line of error."""
        for path in value:
            if path != "ENV":
                check_config_file(path)
        return super().cb_config(ctx, param, value)

    @classmethod
    @override
    def invoke(cls, **kwargs: t.Any) -> None:
        """Sync; an expected failure ends it with one line (:mod:`tap_pinterest.reporting`)."""
        with failures_in_one_line(cls.logger):
            super().invoke(**kwargs)

    @classmethod
    @override
    def cb_test(cls, ctx: click.Context, param: click.Option, value: str) -> None:
        """The dry run (``--test``); an expected failure ends it with one line."""
        with failures_in_one_line(cls.logger):
            super().cb_test(ctx, param, value)

    @property
    def run_state(self) -> RunState:
        """What this run's streams share, with one authenticator per tap instance."""
        if self._run_state is None:
            budget = float(self.config.get("analytics_requests_per_minute", 300))
            pacer = Pacer(dict.fromkeys(ANALYTICS_CATEGORIES, budget))
            self._run_state = RunState(self._authenticator(), pacer)
        return self._run_state

    def _authenticator(self) -> PinterestAuthenticator:
        config = self.config
        if all(config.get(key) for key in REFRESH_SETTINGS):
            return RefreshTokenAuthenticator(
                api_url=config.get("api_url") or DEFAULT_API_URL,
                client_id=config["client_id"],
                client_secret=config["client_secret"],
                refresh_token=config["refresh_token"],
                continuous_refresh=bool(config.get("continuous_refresh")),
                token_cache_path=config.get("token_cache_path"),
                timeout=float(config.get("request_timeout", 300)),
            )
        return AccessTokenAuthenticator(token=config.get("access_token") or "")

    @property
    def streams(self) -> dict[str, Stream]:
        """The streams in registry order, not the SDK's alphabetical one.

        Top-level streams sync in this order, so pin_analytics reads the pin ids the
        pins stream kept instead of listing every pin again.
        """
        order: dict[type[Stream], int] = {cls: index for index, cls in enumerate(STREAM_TYPES)}
        ranked = sorted(super().streams.values(), key=lambda stream: order[type(stream)])
        return {stream.name: stream for stream in ranked}

    def discover_streams(self) -> list[Stream]:
        """One instance of every stream class in the registry."""
        return [stream_class(tap=self) for stream_class in STREAM_TYPES]
