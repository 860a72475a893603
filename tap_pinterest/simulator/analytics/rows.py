"""Analytics rows: time buckets, and one entity's rows for a set of columns.

The row format is described in `analytics.ads`; this module builds rows from `DayStats`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tap_pinterest.simulator.analytics.columns import Chain, Column, define
from tap_pinterest.simulator.analytics.columns_catalog import ALL_COLUMNS, GRANULARITIES
from tap_pinterest.simulator.analytics.metrics import Attribution, DayStats

Record = dict[str, Any]
HOUR_COLUMN = "HOUR"
# level -> (collection, id column). ADVERTISER and PIN_PROMOTION are the report levels;
# AD_ACCOUNT and AD are accepted as aliases.
LEVELS: dict[str, tuple[str, str]] = {
    "ADVERTISER": ("ad_accounts", "AD_ACCOUNT_ID"),
    "CAMPAIGN": ("campaigns", "CAMPAIGN_ID"),
    "AD_GROUP": ("ad_groups", "AD_GROUP_ID"),
    "PIN_PROMOTION": ("ads", "AD_ID"),
}
LEVEL_ALIASES = {"AD_ACCOUNT": "ADVERTISER", "AD": "PIN_PROMOTION"}
METRICS_FILTER_FIELDS = ("SPEND_IN_DOLLAR", "TOTAL_IMPRESSION")
METRICS_FILTER_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "LESS_THAN": lambda a, b: a < b,
    "GREATER_THAN": lambda a, b: a > b,
}
MetricsFilter = tuple[str, str, float]  # (field, operator, value)


@dataclass(frozen=True)
class Bucket:
    """A row's time span: label (DATE, None for TOTAL), hour (HOUR only) and days."""

    label: str | None
    hour: int | None
    days: tuple[date, ...]


def as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def level_of(level: str) -> tuple[str, str]:
    """(collection, id column) of a level name; ValueError for an unknown one."""
    found = LEVELS.get(LEVEL_ALIASES.get(level, level))
    if found is None:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    return found


def buckets(
    start: date,
    end: date,
    granularity: str,
    hours: tuple[int | None, int | None] = (None, None),
) -> list[Bucket]:
    """The time buckets of a request. With HOUR, `hours` = (start_hour, end_hour) trims
    the first and the last day (hours before end_hour are kept, as the spec's example)."""
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    if granularity == "TOTAL":
        return [Bucket(None, None, tuple(days))]
    if granularity == "HOUR":
        start_hour, end_hour = hours
        out: list[Bucket] = []
        for day in days:
            first = start_hour if day == start and start_hour is not None else 0
            last = end_hour if day == end and end_hour is not None else 24
            out.extend(Bucket(day.isoformat(), h, (day,)) for h in range(first, last))
        return out
    groups: dict[date, list[date]] = {}
    for day in days:
        if granularity == "WEEK":
            key = day - timedelta(days=day.weekday())
        elif granularity == "MONTH":
            key = day.replace(day=1)
        else:
            key = day
        groups.setdefault(max(key, start), []).append(day)
    return [Bucket(k.isoformat(), None, tuple(v)) for k, v in groups.items()]


@dataclass(frozen=True)
class RowPlan:
    """What one request computes, ready to apply to each entity."""

    collection: str
    id_column: str
    columns: tuple[Column, ...]
    getters: dict[str, Callable[[DayStats], int]]
    spans: tuple[Bucket, ...]
    attribution: Attribution
    metrics_filters: tuple[MetricsFilter, ...]


def plan(
    level: str,
    start: date,
    end: date,
    *,
    granularity: str,
    columns: Sequence[str],
    attribution: Attribution,
    hours: tuple[int | None, int | None] = (None, None),
    metrics_filters: Sequence[MetricsFilter] = (),
) -> RowPlan:
    """Check a request's level, granularity, columns and filters (ValueError) and plan it."""
    collection, id_column = level_of(level)
    if granularity not in GRANULARITIES:
        raise ValueError(f"unknown granularity {granularity!r}")
    unknown = [c for c in columns if c not in ALL_COLUMNS]
    if unknown:
        raise ValueError(f"unknown columns: {', '.join(unknown)}")
    for field, operator, _value in metrics_filters:
        if field not in METRICS_FILTER_FIELDS or operator not in METRICS_FILTER_OPERATORS:
            raise ValueError(f"unsupported metrics filter {field} {operator}")
    wanted = tuple(define(c) for c in dict.fromkeys(columns) if c != id_column)
    needed = _sum_names([*wanted, *(define(f) for f, _o, _v in metrics_filters)])
    getters = {name: get for name in needed if (get := define(name).get) is not None}
    return RowPlan(
        collection,
        id_column,
        wanted,
        getters,
        tuple(buckets(start, end, granularity, hours)),
        attribution,
        tuple(metrics_filters),
    )


def entity_rows(
    rows_plan: RowPlan,
    entity_id: str,
    chain: Chain,
    stats: Callable[[Bucket], list[DayStats]],
) -> Iterator[Record]:
    """One entity's rows: `stats(bucket)` gives its activity in a bucket ([]: none)."""
    wanted = rows_plan.columns
    attrs = {c.name: c.attr(chain) for c in wanted if c.attr is not None}
    for bucket in rows_plan.spans:
        found = stats(bucket)
        if not found:
            continue
        if len(found) == 1:
            day = found[0]
            sums = {n: get(day) for n, get in rows_plan.getters.items()}
        else:
            sums = {n: sum(get(s) for s in found) for n, get in rows_plan.getters.items()}
        if not _passes(rows_plan.metrics_filters, sums):
            continue
        row: Record = {rows_plan.id_column: entity_id}
        if bucket.label is not None:
            row["DATE"] = bucket.label
        if bucket.hour is not None:
            row[HOUR_COLUMN] = bucket.hour
        keys = len(row)
        for column in wanted:
            value = _value(column, sums, attrs)
            if value is not None:
                row[column.name] = value
        if wanted and len(row) == keys:  # every requested column empty: no row
            continue
        yield row


def _sum_names(columns: Iterable[Column]) -> list[str]:
    names: dict[str, None] = {}
    for column in columns:
        if column.kind == "sum":
            names[column.name] = None
        elif column.kind == "ratio":
            names.update(dict.fromkeys((*column.num, *column.den)))
    return list(names)


def _value(column: Column, sums: dict[str, int], attrs: dict[str, Any]) -> Any:
    if column.kind == "attr":
        return attrs[column.name]
    if column.kind == "sum":
        return sums[column.name] or None
    return column.ratio(sums)


def _passes(filters: Sequence[MetricsFilter], sums: dict[str, int]) -> bool:
    for field, operator, threshold in filters:
        value = _value(define(field), sums, {}) or 0
        if not METRICS_FILTER_OPERATORS[operator](value, threshold):
            return False
    return True
