"""Analytics endpoints: synchronous ads analytics, organic analytics and async reports.

Ads analytics (`ads_analytics`): start_date, end_date, granularity and columns are
required (columns comma-joined or repeated, each in the spec's enum of 175), and so
are the ids: campaign_ids / ad_group_ids (1..250), ad_ids (1..250) or campaign_ids
with pin_ids (1..100) for ads. Ids must belong to the ad account. Attribution windows
take 0, 1, 7, 14, 30 or 60 days. Date limits: see `analytics_params`. The answer is a
bare JSON array of rows (see `analytics.ads`). Errors: 400 `{"code": 1, "message"}`; an
unknown ad account 404 code 2; an unknown Pin 404 code 50.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.wrappers import Request

from tap_pinterest.simulator.analytics.ads import Analytics
from tap_pinterest.simulator.analytics.columns_catalog import (
    GRANULARITIES,
    PIN_METRIC_TYPES,
    SYNC_COLUMNS,
    USER_ACCOUNT_METRIC_TYPES,
)
from tap_pinterest.simulator.analytics.organic import FILTER_SHARES
from tap_pinterest.simulator.analytics.reports import Reports
from tap_pinterest.simulator.data.dataset import Dataset, Record
from tap_pinterest.simulator.endpoints.analytics_params import (
    HOUR_LIMITS,
    ORGANIC_LIMITS,
    SYNC_LIMITS,
    attribution,
    check_columns,
    check_dates,
    not_found_ids,
    parse_date,
)
from tap_pinterest.simulator.endpoints.common import ad_account, business_access
from tap_pinterest.simulator.endpoints.params import ApiError, Query, bad_parameter
from tap_pinterest.simulator.endpoints.report_request import parse_report_request

_SYNC_COLUMNS = frozenset(SYNC_COLUMNS)
SPLIT_FIELDS = ("NO_SPLIT", "APP_TYPE", "OWNED_CONTENT", "SOURCE", "PIN_FORMAT")


@dataclass
class AnalyticsCtx:
    query: Query
    args: dict[str, str]
    dataset: Dataset
    analytics: Analytics
    reports: Reports
    request: Request


def _required(query: Query, name: str) -> str:
    value = query.string(name)
    if not value:
        raise bad_parameter(f"Parameter '{name}' is required.")
    return value


def _owned(
    ctx: AnalyticsCtx, collection: str, ids: list[str], account: Record, kind: str
) -> list[str]:
    missing = [
        i
        for i in dict.fromkeys(ids)
        if (r := ctx.dataset.by_id(collection, i)) is None or r["ad_account_id"] != account["id"]
    ]
    if missing:
        raise not_found_ids(kind, account["id"], missing)
    return list(dict.fromkeys(ids))


def _ads_analytics(ctx: AnalyticsCtx, level: str, entity_ids: Callable[[Record], list[str]]) -> Any:
    account = ad_account(ctx)
    q = ctx.query
    start = parse_date("start_date", q.string("start_date"))
    end = parse_date("end_date", q.string("end_date"))
    granularity = _required(q, "granularity")
    q.enum("granularity", GRANULARITIES)
    columns = q.values("columns")
    check_columns(columns, _SYNC_COLUMNS)
    ids = entity_ids(account)
    settings = attribution(q.string)
    q.enum("reporting_timezone", ("PINTEREST_TIME_ZONE", "AD_ACCOUNT_TIME_ZONE"))
    if q.string("reporting_timezone") == "AD_ACCOUNT_TIME_ZONE":
        raise bad_parameter(
            "Parameter 'reporting_timezone' AD_ACCOUNT_TIME_ZONE is a BETA feature not "
            "available to this app."
        )
    if q.boolean("aggregate_report_rows", False):
        raise bad_parameter(
            "Parameter 'aggregate_report_rows' is a BETA feature not available to this app."
        )
    hourly = granularity == "HOUR"
    limits = HOUR_LIMITS if hourly else SYNC_LIMITS
    check_dates(
        start, end, ctx.analytics.today(), limits, "with granularity HOUR" if hourly else ""
    )
    return ctx.analytics.rows(
        level,
        ids,
        start,
        end,
        granularity=granularity,
        columns=columns or [],
        click_window_days=settings.click_window_days,
        engagement_window_days=settings.engagement_window_days,
        view_window_days=settings.view_window_days,
        conversion_report_time=settings.conversion_report_time,
    )


def _ids(ctx: AnalyticsCtx, name: str, max_items: int = 250) -> list[str]:
    ids = ctx.query.ids(name, max_items=max_items)
    if ids is None:
        raise bad_parameter(f"Parameter '{name}' is required.")
    return ids


def ad_account_analytics(ctx: AnalyticsCtx) -> Any:
    return _ads_analytics(ctx, "ADVERTISER", lambda account: [account["id"]])


def campaign_analytics(ctx: AnalyticsCtx) -> Any:
    return _ads_analytics(
        ctx,
        "CAMPAIGN",
        lambda a: _owned(ctx, "campaigns", _ids(ctx, "campaign_ids"), a, "Campaigns"),
    )


def ad_group_analytics(ctx: AnalyticsCtx) -> Any:
    return _ads_analytics(
        ctx,
        "AD_GROUP",
        lambda a: _owned(ctx, "ad_groups", _ids(ctx, "ad_group_ids"), a, "Ad groups"),
    )


def _ad_ids(ctx: AnalyticsCtx, account: Record) -> list[str]:
    """ad_ids, or the ads of campaign_ids that promote pin_ids."""
    q = ctx.query
    ad_ids = q.ids("ad_ids", max_items=250, max_length=None)
    if ad_ids is not None:
        return _owned(ctx, "ads", ad_ids, account, "Ads")
    campaign_ids = q.ids("campaign_ids", max_items=250)
    pin_ids = q.ids("pin_ids", max_items=100, max_length=None)
    if campaign_ids is None or pin_ids is None:
        raise bad_parameter(
            "The request must contain either ad_ids or both campaign_ids and pin_ids."
        )
    campaigns = set(_owned(ctx, "campaigns", campaign_ids, account, "Campaigns"))
    pins = set(pin_ids)
    return [
        ad["id"]
        for ad in ctx.dataset.children("ads", "ad_account_id", account["id"])
        if ad["campaign_id"] in campaigns and ad["pin_id"] in pins
    ]


def ad_analytics(ctx: AnalyticsCtx) -> Any:
    return _ads_analytics(ctx, "PIN_PROMOTION", lambda a: _ad_ids(ctx, a))


# ---- organic -----------------------------------------------------------------------------


def _organic_dates(ctx: AnalyticsCtx) -> tuple[Any, Any]:
    q = ctx.query
    start = parse_date("start_date", q.string("start_date"))
    end = parse_date("end_date", q.string("end_date"))
    return start, end


def user_account_analytics(ctx: AnalyticsCtx) -> Any:
    """split_field NO_SPLIT only; the other splits answer 400 (not simulated)."""
    business_access(ctx)
    q = ctx.query
    start, end = _organic_dates(ctx)
    metric_types = q.enums("metric_types", USER_ACCOUNT_METRIC_TYPES)
    split = q.enum("split_field", SPLIT_FIELDS) or "NO_SPLIT"
    if split != "NO_SPLIT":
        raise bad_parameter(f"Parameter 'split_field' {split} is not supported by the simulator.")
    filters = {name: q.enum(name, tuple(shares)) for name, shares in FILTER_SHARES.items()}
    check_dates(start, end, ctx.analytics.today(), ORGANIC_LIMITS)
    return ctx.analytics.user_account_analytics(
        start, end, metric_types, **{k: v for k, v in filters.items() if v is not None}
    )


def pin_analytics(ctx: AnalyticsCtx) -> Any:
    business_access(ctx)
    q = ctx.query
    pin_ids = q.ids("pin_ids", max_items=100, max_length=None)
    if pin_ids is None:
        raise bad_parameter("Parameter 'pin_ids' is required.")
    start, end = _organic_dates(ctx)
    metric_types = q.enums("metric_types", PIN_METRIC_TYPES)
    if metric_types is None:
        raise bad_parameter("Parameter 'metric_types' is required.")
    app_types = q.enum("app_types", tuple(FILTER_SHARES["app_types"])) or "ALL"
    check_dates(start, end, ctx.analytics.today(), ORGANIC_LIMITS)
    missing = [p for p in dict.fromkeys(pin_ids) if ctx.dataset.by_id("pins", p) is None]
    if missing:
        raise ApiError(404, 50, f"Pin not found: {', '.join(missing[:10])}.")
    return ctx.analytics.pin_analytics(pin_ids, start, end, metric_types, app_types)


# ---- reports -----------------------------------------------------------------------------


def create_report(ctx: AnalyticsCtx) -> Any:
    account = ad_account(ctx)
    if ctx.request.args:
        raise bad_parameter("This endpoint does not support URL query parameters.")
    body = ctx.request.get_json(force=True, silent=True)
    spec = parse_report_request(body, ctx.dataset, account, ctx.analytics.today())
    report = ctx.reports.create(spec)
    return {"report_status": "IN_PROGRESS", "token": report.token, "message": None}


def get_report(ctx: AnalyticsCtx) -> Any:
    account = ad_account(ctx)
    token = _required(ctx.query, "token")
    return ctx.reports.poll(account["id"], token, ctx.request.host_url)


HANDLERS: dict[str, Callable[[AnalyticsCtx], Any]] = {
    "ad_account_analytics": ad_account_analytics,
    "campaign_analytics": campaign_analytics,
    "ad_group_analytics": ad_group_analytics,
    "ad_analytics": ad_analytics,
    "user_account_analytics": user_account_analytics,
    "pin_analytics": pin_analytics,
    "create_report": create_report,
    "get_report": get_report,
}
