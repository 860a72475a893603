"""Every setting of the tap, declared once: its name, kind, default, allowed values and range.

:data:`CONFIG_JSONSCHEMA` is the tap's ``config_jsonschema``: ``--about``, the README
settings table and the settings in ``meltano.yml`` are generated from it
(``scripts/sync_docs.py``). The code reads settings from the tap's config, where
:func:`effective` has put every unset setting at its schema default, so no default is
written anywhere else. :mod:`tap_pinterest.config` words the errors of this schema.

This module imports nothing from the package: it is the bottom layer, with the errors
and the schema files.
"""

from __future__ import annotations

import importlib.metadata
import typing as t

from singer_sdk import typing as th

DEFAULT_API_URL = "https://api.pinterest.com/v5"
DEFAULT_USER_AGENT = f"tap-pinterest/{importlib.metadata.version('tap-pinterest')}"
#: Every value of ``entity_statuses``; the API's own default is only ACTIVE and PAUSED.
ENTITY_STATUSES = ("ACTIVE", "PAUSED", "ARCHIVED", "DRAFT", "DELETED_DRAFT")
BOARD_PRIVACY = ("ALL", "PUBLIC", "PROTECTED", "SECRET", "PUBLIC_AND_SECRET")
GRANULARITIES = ("DAY", "HOUR", "WEEK", "MONTH")
ATTRIBUTION_WINDOWS = (0, 1, 7, 14, 30, 60)
CONVERSION_REPORT_TIMES = ("TIME_OF_AD_ACTION", "TIME_OF_CONVERSION")
#: The three settings of the OAuth refresh, all or none.
REFRESH_SETTINGS = ("client_id", "client_secret", "refresh_token")
#: The attribution settings, sent as they are on every ads analytics request and report.
ATTRIBUTION_SETTINGS = (
    "click_window_days",
    "engagement_window_days",
    "view_window_days",
    "conversion_report_time",
)
#: The rate-limit categories (the spec's ``x-ratelimit-category``) of the endpoints the
#: tap reads.
RATE_LIMIT_CATEGORIES = ("ads_read", "ads_analytics", "org_read", "org_analytics", "catalogs_read")
#: Requests per minute per category, by access tier (API-NOTES: standard access allows
#: 1,000/min of ads_read, 300/min of ads_analytics and 100/s in all; trial access
#: 1,000 a day per category). Trial budgets may be spent at once (``TRIAL_BURST``).
ACCESS_TIERS: dict[str, dict[str, float]] = {
    "standard": {
        "ads_read": 1000,
        "ads_analytics": 300,
        "org_read": 6000,
        "org_analytics": 300,
        "catalogs_read": 6000,
    },
    "trial": dict.fromkeys(RATE_LIMIT_CATEGORIES, 1000 / (24 * 60)),
}
TRIAL_BURST = 1000
#: An http(s) URL with a host, or empty for the default.
HTTP_URL = r"^(https?://[^/\s]+.*)?$"
#: Pinterest ad account ids are digits.
NUMERIC_ID = r"^[0-9]+$"


def _one_of(values: t.Sequence[object]) -> str:
    """``a, b or c``."""
    words = [str(value) for value in values]
    return f"{', '.join(words[:-1])} or {words[-1]}"


def _secret_string(name: str, description: str) -> th.Property[t.Any]:
    return th.Property(name, th.StringType, secret=True, description=description)


CONFIG_JSONSCHEMA: dict[str, t.Any] = th.PropertiesList(
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
        th.StringType(pattern=HTTP_URL),
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
        th.ArrayType(th.StringType(pattern=NUMERIC_ID)),
        default=[],
        description="Numeric ids of the ad accounts to sync. Empty: every account "
        "the token can access, shared ones included.",
    ),
    th.Property(
        "entity_statuses",
        th.ArrayType(th.StringType(allowed_values=list(ENTITY_STATUSES))),
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
        description="ISO-8601 date: the last day the analytics streams read (default: today, UTC).",
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
            f"{_one_of(ATTRIBUTION_WINDOWS)}.",
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
        th.IntegerType(minimum=0),
        default=30,
        description="Days before the bookmark that every analytics run reads again, "
        "because Pinterest restates conversions for up to 30 days.",
    ),
    th.Property(
        "report_poll_interval_seconds",
        th.NumberType(minimum=0),
        default=5,
        description="First wait between polls of an async report (doubles, up to 60 s).",
    ),
    th.Property(
        "report_timeout_seconds",
        th.NumberType(minimum=0),
        default=1800,
        description="How long one async report may take before a new one is requested.",
    ),
    th.Property(
        "report_max_attempts",
        th.IntegerType(exclusive_minimum=0),
        default=3,
        description="Reports tried per window (after FAILED, EXPIRED, CANCELLED or a "
        "timeout) before the sync fails.",
    ),
    th.Property(
        "max_concurrency",
        th.IntegerType(minimum=1, maximum=32),
        default=4,
        description="Requests in flight at once: the pages of different boards, ad "
        "accounts and analytics batches are fetched together, each category within its "
        "budget. 1 fetches one page at a time.",
    ),
    th.Property(
        "access_tier",
        th.StringType,
        default="standard",
        allowed_values=list(ACCESS_TIERS),
        description="The app's Pinterest API access: standard (ads_read 1,000/min, "
        "ads_analytics 300/min, 100/s in all) or trial (1,000 calls a day per category). "
        "The tap paces each rate-limit category under it.",
    ),
    th.Property(
        "requests_per_minute",
        th.ObjectType(
            *[th.Property(c, th.NumberType(exclusive_minimum=0)) for c in RATE_LIMIT_CATEGORIES],
            additional_properties=False,
        ),
        description="Budgets per rate-limit category that replace the access tier's, "
        'e.g. {"ads_analytics": 150} to leave half for another app.',
    ),
    th.Property(
        "rate_limit_max_wait_seconds",
        th.IntegerType(minimum=0),
        default=600,
        description="The longest total wait on HTTP 429 for one request; past it the "
        "sync fails (and resumes from state next run).",
    ),
    th.Property(
        "max_retries",
        th.IntegerType(minimum=0),
        default=5,
        description="Retries of a request after a 5xx or a connection error.",
    ),
    th.Property(
        "retry_base_wait_seconds",
        th.NumberType(minimum=0),
        default=1.0,
        description="First wait before retrying a 5xx or a connection error; it doubles "
        "on each retry, up to 60 seconds.",
    ),
    th.Property(
        "request_timeout",
        th.IntegerType(minimum=0),
        default=300,
        description="Seconds to wait for one HTTP response.",
    ),
    th.Property(
        "user_agent",
        th.StringType,
        description="The User-Agent header sent to Pinterest (default: tap-pinterest/<version>).",
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

#: The default of every setting that has one, from the schema.
DEFAULTS: dict[str, t.Any] = {
    name: prop["default"]
    for name, prop in CONFIG_JSONSCHEMA["properties"].items()
    if "default" in prop
}


def _unset(value: object) -> bool:
    """Null, ``""`` or ``[]``: what an unset variable in a Meltano config expands to."""
    return value is None or (isinstance(value, str | list) and not value)


def effective(config: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The config with every setting that is absent, null or empty at its default.

    The tap's config goes through this once (``TapPinterest.config``), so code reads
    ``config["request_timeout"]`` and never restates a default. Each default is a fresh
    copy: a stream that changed a list would not change the schema.
    """
    filled = dict(config)
    for name, default in DEFAULTS.items():
        if _unset(filled.get(name)):
            filled[name] = list(default) if isinstance(default, list) else default
    return filled
