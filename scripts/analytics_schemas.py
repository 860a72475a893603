"""JSON Schemas of the analytics streams, from the column enums of Pinterest's spec.

Each analytics endpoint takes a ``columns`` (ads) or ``metric_types`` (organic) enum;
every value becomes a lower-case snake_case property, typed by its name:

- money in micro-units (``*MICRO_DOLLAR``) stays an integer;
- ids, names, labels, statuses, types and tags are strings; ``IS_*`` and the few other
  flags (``CAMPAIGN_BUDGET_OPTIMIZATION``) are booleans;
- every other metric is a number (counts, rates, dollar amounts, averages).

The stream's key (the entity id, or nothing for account-wide organic data) and
``date`` are required strings; ``date`` has format ``date`` (the tap switches it to
``date-time`` when the granularity is HOUR).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

JSONSchema = dict[str, Any]
_STRING_SUFFIXES = (
    "_ID",
    "_NAME",
    "_LABEL",
    "_LABELS",
    "_STATUS",
    "_TYPE",
    "_TAG",
    "_OPTIMIZATION",
)


#: Flags without an IS_ prefix: campaign budget optimisation is on or off.
_FLAGS = frozenset({"CAMPAIGN_BUDGET_OPTIMIZATION"})


@dataclass(frozen=True)
class AnalyticsSource:
    """Where an analytics stream's columns come from, and its key."""

    endpoint: str
    parameter: str
    """The query parameter whose enum lists the columns (``columns`` or ``metric_types``)."""
    key: tuple[str, ...]
    """Primary-key properties besides ``date``."""
    extra: tuple[str, ...] = ()
    """String properties the tap adds (parent ids)."""


ANALYTICS: dict[str, AnalyticsSource] = {
    "ad_account_analytics": AnalyticsSource(
        "/ad_accounts/{ad_account_id}/analytics", "columns", ("ad_account_id",)
    ),
    "campaign_analytics": AnalyticsSource(
        "/ad_accounts/{ad_account_id}/campaigns/analytics",
        "columns",
        ("campaign_id",),
        ("ad_account_id",),
    ),
    "ad_group_analytics": AnalyticsSource(
        "/ad_accounts/{ad_account_id}/ad_groups/analytics",
        "columns",
        ("ad_group_id",),
        ("ad_account_id",),
    ),
    "ad_analytics": AnalyticsSource(
        "/ad_accounts/{ad_account_id}/ads/analytics", "columns", ("ad_id",), ("ad_account_id",)
    ),
    "user_account_analytics": AnalyticsSource(
        "/user_account/analytics", "metric_types", (), ("data_status",)
    ),
    "pin_analytics": AnalyticsSource(
        "/pins/analytics", "metric_types", ("pin_id",), ("data_status",)
    ),
}


def column_type(column: str) -> list[str]:
    """The JSON type of an analytics column, from its UPPER_CASE name."""
    if "MICRO_DOLLAR" in column:
        return ["integer", "null"]
    if column.startswith("IS_") or column in _FLAGS:
        return ["boolean", "null"]
    if column.endswith(_STRING_SUFFIXES) or column in {"ADVERTISER_ID", "PROMO_ID"}:
        return ["string", "null"]
    return ["number", "null"]


def _enum_values(node: Mapping[str, Any], resolve: Any) -> list[str]:
    """Every string of an (array) parameter schema's enum, through refs and oneOf."""
    node = resolve(node)
    if node.get("type") == "array":
        return _enum_values(node["items"], resolve)
    values: list[str] = list(node.get("enum", []))
    for variant in node.get("oneOf", []) + node.get("anyOf", []):
        values += [v for v in _enum_values(variant, resolve) if v not in values]
    return values


def analytics_columns(spec: Mapping[str, Any], source: AnalyticsSource) -> list[str]:
    """The UPPER_CASE column names the endpoint accepts, in spec order."""
    components = spec["components"]

    def resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in node:
            section, name = node["$ref"].split("/")[-2:]
            node = components[section][name]
        return node

    operation = spec["paths"][source.endpoint]["get"]
    for reference in operation["parameters"]:
        parameter = resolve(reference)
        if parameter["name"] == source.parameter:
            return _enum_values(parameter["schema"], resolve)
    msg = f"GET {source.endpoint} has no {source.parameter!r} parameter"
    raise KeyError(msg)


def build_analytics_schema(spec: Mapping[str, Any], source: AnalyticsSource) -> JSONSchema:
    """The stream's schema: key, date, parent ids, then one property per column."""
    properties: dict[str, JSONSchema] = {}
    for column in analytics_columns(spec, source):
        properties[column.lower()] = {"type": column_type(column)}
    for name in source.extra:
        properties[name] = {"type": ["string", "null"]}
    for name in source.key:
        properties[name] = {"type": ["string"]}
    properties["date"] = {"type": ["string"], "format": "date"}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": True,
        "properties": properties,
    }
