"""The JSON body of POST /v5/ad_accounts/{ad_account_id}/reports, validated.

Follows the spec's AdsAnalyticsCreateAsyncRequest. Supported levels: ADVERTISER,
CAMPAIGN, AD_GROUP and PIN_PROMOTION. Filters: campaign_ids, campaign_statuses,
campaign_objective_types, campaign_brand_label (the simulated campaigns have none),
ad_group_ids, ad_group_statuses, ad_ids, ad_statuses (up to 500 ids each, all of the ad
account) and metrics_filters; a filter applies to entities at or below its own level, so
ad_ids needs level PIN_PROMOTION. Statuses filter on `summary_status`. The other levels
(KEYWORD, PRODUCT_*, *_TARGETING) and the fields that only serve them, and
custom_conversion_event_metrics, answer 400 (not simulated). Unknown fields answer 400.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tap_pinterest.simulator.analytics.columns_catalog import ASYNC_COLUMNS, GRANULARITIES
from tap_pinterest.simulator.analytics.reports import ReportSpec
from tap_pinterest.simulator.analytics.rows import LEVELS, METRICS_FILTER_FIELDS
from tap_pinterest.simulator.data.dataset import Dataset, Record
from tap_pinterest.simulator.endpoints.analytics_params import (
    HOUR_LIMITS,
    REPORT_LIMITS,
    attribution,
    check_columns,
    check_dates,
    not_found_ids,
    parse_date,
)
from tap_pinterest.simulator.endpoints.params import DIGITS, bad_parameter

MAX_FILTER_IDS = 500
# MetricsReportingLevel; LEVELS (analytics) are the simulated ones.
ALL_LEVELS = (
    *(f"{level}{suffix}" for level in LEVELS for suffix in ("", "_TARGETING")),
    "KEYWORD",
    "PRODUCT_GROUP",
    "PRODUCT_GROUP_TARGETING",
    "PRODUCT_ITEM",
    "PRODUCT_ITEM_TARGETING",
)
_SUMMARY = (
    "RUNNING",
    "PAUSED",
    "NOT_STARTED",
    "COMPLETED",
    "ADVERTISER_DISABLED",
    "ARCHIVED",
    "DRAFT",
    "DELETED_DRAFT",
)
_AD_SUMMARY = ("APPROVED", "PAUSED", "PENDING", "REJECTED", *_SUMMARY[4:])
_OBJECTIVES = ("AWARENESS", "CONSIDERATION", "WEB_CONVERSION", "CATALOG_SALES", "VIDEO_COMPLETION")
# filter field -> (collection it filters, record field, allowed values or None for ids)
_FILTERS: dict[str, tuple[str, str, tuple[str, ...] | None]] = {
    "campaign_ids": ("campaigns", "id", None),
    "campaign_statuses": ("campaigns", "summary_status", _SUMMARY),
    "campaign_objective_types": ("campaigns", "objective_type", _OBJECTIVES),
    "ad_group_ids": ("ad_groups", "id", None),
    "ad_group_statuses": ("ad_groups", "summary_status", _SUMMARY),
    "ad_ids": ("ads", "id", None),
    "ad_statuses": ("ads", "summary_status", _AD_SUMMARY),
}
_ORDER = ("ad_accounts", "campaigns", "ad_groups", "ads")
_OTHER_FIELDS = {
    "start_date", "end_date", "granularity", "level", "columns", "click_window_days",
    "engagement_window_days", "view_window_days", "conversion_report_time",
    "attribution_types", "report_format", "primary_sort", "start_hour", "end_hour",
    "reporting_timezone", "metrics_filters", "campaign_brand_label", "combine_targeting_types",
}  # fmt: skip
_NOT_SIMULATED = {
    "product_group_ids", "product_group_statuses", "product_item_ids", "targeting_types",
    "custom_conversion_event_metrics",
}  # fmt: skip


def _enum(body: dict[str, Any], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = body.get(name, default)
    if value not in allowed:
        raise bad_parameter(f"'{name}' must be one of {', '.join(allowed)} (was {value!r}).")
    return str(value)


def _string_list(body: dict[str, Any], name: str, max_items: int) -> list[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise bad_parameter(f"'{name}' must be a non-empty list of strings.")
    if len(value) > max_items:
        raise bad_parameter(f"'{name}' accepts at most {max_items} values (got {len(value)}).")
    return value


def _hour(body: dict[str, Any], name: str, granularity: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if granularity != "HOUR":
        raise bad_parameter(f"'{name}' is only allowed for hourly reports (granularity HOUR).")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 23:
        raise bad_parameter(f"'{name}' must be an integer from 0 to 23 (was {value!r}).")
    return value


def _metrics_filters(body: dict[str, Any]) -> tuple[tuple[str, str, float], ...]:
    value = body.get("metrics_filters")
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise bad_parameter("'metrics_filters' must be a non-empty list.")
    out = []
    for item in value:
        ok = isinstance(item, dict) and item.get("field") in METRICS_FILTER_FIELDS
        ok = ok and item.get("operator") in ("LESS_THAN", "GREATER_THAN")
        values = item.get("values") if isinstance(item, dict) else None
        if not ok or not isinstance(values, list) or not values:
            raise bad_parameter(
                "Each metrics filter needs 'field' (SPEND_IN_DOLLAR or TOTAL_IMPRESSION), "
                "'operator' (LESS_THAN or GREATER_THAN) and a non-empty list of 'values'."
            )
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            raise bad_parameter("Metrics filter 'values' must be numbers.")
        out.append((str(item["field"]), str(item["operator"]), float(values[0])))
    return tuple(out)


def _filter_values(
    body: dict[str, Any], dataset: Dataset, account: Record, collection: str
) -> list[tuple[str, str, set[str]]]:
    """(collection, record field, accepted values) for each filter in the body."""
    checks: list[tuple[str, str, set[str]]] = []
    for name, (filtered, field, allowed) in _FILTERS.items():
        values = _string_list(body, name, MAX_FILTER_IDS)
        if values is None:
            continue
        if _ORDER.index(filtered) > _ORDER.index(collection):
            raise bad_parameter(
                f"'{name}' filters {filtered}; the simulator applies it at that level or "
                "below only."
            )
        if allowed is not None:
            wrong = [v for v in values if v not in allowed]
            if wrong:
                raise bad_parameter(f"'{name}' has invalid values: {', '.join(wrong)}.")
        else:
            _check_owned(dataset, account, filtered, name, values)
        checks.append((filtered, field, set(values)))
    return checks


def _check_owned(
    dataset: Dataset, account: Record, collection: str, name: str, values: list[str]
) -> None:
    bad = [v for v in values if not DIGITS.match(v)]
    if bad:
        raise bad_parameter(f"'{name}' values must match ^\\d+$: {', '.join(bad)}.")
    missing = [
        v
        for v in values
        if (r := dataset.by_id(collection, v)) is None or r["ad_account_id"] != account["id"]
    ]
    if missing:
        raise not_found_ids(collection.capitalize(), account["id"], missing)


def _entities(
    body: dict[str, Any], dataset: Dataset, account: Record, collection: str
) -> tuple[str, ...]:
    """Ids of the level's entities in the account that pass every filter."""
    checks = _filter_values(body, dataset, account, collection)
    label = body.get("campaign_brand_label")
    if label is not None and not isinstance(label, str):
        raise bad_parameter("'campaign_brand_label' must be a string.")
    if collection == "ad_accounts":
        return (account["id"],)
    out = []
    for record in dataset.children(collection, "ad_account_id", account["id"]):
        if label is not None:  # the simulated campaigns carry no brand label
            continue
        lineage = _lineage(dataset, collection, record)
        if all((lineage.get(c) or {}).get(f) in values for c, f, values in checks):
            out.append(str(record["id"]))
    return tuple(out)


def _lineage(dataset: Dataset, collection: str, record: Record) -> dict[str, Record | None]:
    out: dict[str, Record | None] = {collection: record}
    if collection in ("ad_groups", "ads"):
        out["campaigns"] = dataset.by_id("campaigns", record["campaign_id"])
    if collection == "ads":
        out["ad_groups"] = dataset.by_id("ad_groups", record["ad_group_id"])
    return out


def parse_report_request(body: Any, dataset: Dataset, account: Record, today: date) -> ReportSpec:
    """Validate a report request (ApiError 400, code 1, naming the problem)."""
    if not isinstance(body, dict):
        raise bad_parameter("The request body must be a JSON object.")
    not_simulated = sorted(set(body) & _NOT_SIMULATED)
    if not_simulated:
        raise bad_parameter(f"Not supported by the simulator: {', '.join(not_simulated)}.")
    unknown = sorted(set(body) - _OTHER_FIELDS - set(_FILTERS))
    if unknown:
        raise bad_parameter(f"Unknown fields in the request body: {', '.join(unknown)}.")
    for name in ("start_date", "end_date", "granularity", "level", "columns"):
        if body.get(name) is None:
            raise bad_parameter(f"'{name}' is required.")
    start = parse_date("start_date", body["start_date"])
    end = parse_date("end_date", body["end_date"])
    granularity = _enum(body, "granularity", GRANULARITIES, "")
    level = _enum(body, "level", ALL_LEVELS, "")
    if level not in LEVELS:
        raise bad_parameter(f"Level {level} is not simulated; use one of {', '.join(LEVELS)}.")
    columns = body["columns"]
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise bad_parameter("'columns' must be a list of strings.")
    check_columns(columns, frozenset(ASYNC_COLUMNS))
    settings = attribution(body.get, json=True)
    types = _string_list(body, "attribution_types", 2) or []
    if any(t not in ("INDIVIDUAL", "HOUSEHOLD") for t in types):
        raise bad_parameter("'attribution_types' values must be INDIVIDUAL or HOUSEHOLD.")
    if body.get("reporting_timezone", "PINTEREST_TIME_ZONE") != "PINTEREST_TIME_ZONE":
        raise bad_parameter(
            "'reporting_timezone' AD_ACCOUNT_TIME_ZONE is a BETA feature not available to "
            "this app; use PINTEREST_TIME_ZONE (UTC)."
        )
    if body.get("combine_targeting_types", False) is not False:
        raise bad_parameter("'combine_targeting_types' needs a *_TARGETING level.")
    collection = LEVELS[level][0]
    spec = ReportSpec(
        ad_account_id=account["id"],
        level=level,
        entity_ids=_entities(body, dataset, account, collection),
        start=start,
        end=end,
        granularity=granularity,
        columns=tuple(columns),
        attribution=settings,
        start_hour=_hour(body, "start_hour", granularity),
        end_hour=_hour(body, "end_hour", granularity),
        metrics_filters=_metrics_filters(body),
        report_format=_enum(body, "report_format", ("JSON", "CSV"), "JSON"),
        primary_sort=_enum(body, "primary_sort", ("BY_ID", "BY_DATE"), "BY_ID"),
    )
    hourly = granularity == "HOUR"
    check_dates(
        start,
        end,
        today,
        HOUR_LIMITS if hourly else REPORT_LIMITS,
        "with granularity HOUR" if hourly else "",
    )
    return spec
