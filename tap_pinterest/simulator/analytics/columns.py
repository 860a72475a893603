"""How each analytics column is computed and typed.

Three kinds of column:
- "sum": a count or an amount that adds up over the days (or hours) of a bucket;
- "ratio": computed from the bucket's sums (CTR, CPC, ROAS, cost per action, ...);
- "attr": an attribute of the entity or its parents (ids, names, statuses, budgets).

Types follow the names: `*_MICRO_DOLLAR` (and the campaign spend caps) are ints in
micro-units; `*_IN_DOLLAR`, rates, CTRs, ROAS, cost-per and averages are floats; counts
are ints; ids, names, labels and statuses are strings; CAMPAIGN_BUDGET_OPTIMIZATION and
IS_PREMIERE_CAMPAIGN are booleans. `column_type(name)` answers for any column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from tap_pinterest.simulator.analytics.columns_catalog import ALL_COLUMNS
from tap_pinterest.simulator.analytics.metrics import EVENTS, NO_DATA_EVENTS, DayStats

Record = dict[str, Any]
MICRO = 1_000_000


@dataclass(frozen=True)
class Chain:
    """A row's entity and its parents (None where the level has none)."""

    account: Record
    campaign: Record | None = None
    ad_group: Record | None = None
    ad: Record | None = None
    pin: Record | None = None


@dataclass(frozen=True)
class Column:
    name: str
    type: type
    kind: str  # "sum" | "ratio" | "attr"
    get: Callable[[DayStats], int] | None = None
    num: tuple[str, ...] = ()
    den: tuple[str, ...] = ()
    mult: float = 1.0
    div: float = 1.0
    attr: Callable[[Chain], Any] | None = None
    conversion: bool = False

    def ratio(self, sums: dict[str, int]) -> int | float | None:
        numerator = sum(sums[n] for n in self.num) * self.mult
        denominator = sum(sums[d] for d in self.den) if self.den else 1
        if numerator == 0 or denominator == 0:
            return None
        value = numerator / (denominator * self.div)
        return round(value) if self.type is int else value


def _field(record: Record | None, key: str, convert: Callable[[Any], Any] = str) -> Any:
    if record is None or record.get(key) is None:
        return None
    return convert(record[key])


def _video_length(chain: Chain) -> float | None:
    media = (chain.pin or {}).get("media") or {}
    duration = media.get("duration")
    return float(duration) if duration is not None else None


_ATTRS: dict[str, tuple[type, Callable[[Chain], Any]]] = {
    "AD_ACCOUNT_ID": (str, lambda c: c.account["id"]),
    "ADVERTISER_ID": (str, lambda c: c.account["id"]),
    "CAMPAIGN_ID": (str, lambda c: _field(c.campaign, "id")),
    "CAMPAIGN_NAME": (str, lambda c: _field(c.campaign, "name")),
    "CAMPAIGN_ENTITY_STATUS": (str, lambda c: _field(c.campaign, "status")),
    "CAMPAIGN_STATUS": (str, lambda c: _field(c.campaign, "summary_status")),
    "CAMPAIGN_OBJECTIVE_TYPE": (str, lambda c: _field(c.campaign, "objective_type")),
    "CAMPAIGN_LIFETIME_SPEND_CAP": (int, lambda c: _field(c.campaign, "lifetime_spend_cap", int)),
    "CAMPAIGN_DAILY_SPEND_CAP": (int, lambda c: _field(c.campaign, "daily_spend_cap", int)),
    "CAMPAIGN_BUDGET_OPTIMIZATION": (
        bool,
        lambda c: _field(c.campaign, "is_campaign_budget_optimization", bool),
    ),
    "IS_PREMIERE_CAMPAIGN": (bool, lambda c: False if c.campaign is not None else None),
    "ORDER_LINE_ID": (str, lambda c: _field(c.campaign, "order_line_id")),
    "AD_GROUP_ID": (str, lambda c: _field(c.ad_group, "id")),
    "AD_GROUP_NAME": (str, lambda c: _field(c.ad_group, "name")),
    "AD_GROUP_ENTITY_STATUS": (str, lambda c: _field(c.ad_group, "status")),
    "AD_GROUP_STATUS": (str, lambda c: _field(c.ad_group, "summary_status")),
    "AD_GROUP_BUDGET_TYPE": (str, lambda c: _field(c.ad_group, "budget_type")),
    "AD_GROUP_BUDGET_IN_LOCAL_CURRENCY": (
        float,
        lambda c: _field(c.ad_group, "budget_in_micro_currency", lambda v: v / MICRO),
    ),
    "AD_GROUP_BID_MULTIPLIER": (float, lambda c: _field(c.ad_group, "bid_multiplier", float)),
    "AD_GROUP_OPTIMIZATION": (str, lambda c: _field(c.ad_group, "billable_event")),
    "AD_ID": (str, lambda c: _field(c.ad, "id")),
    "PIN_PROMOTION_ID": (str, lambda c: _field(c.ad, "id")),
    "AD_NAME": (str, lambda c: _field(c.ad, "name")),
    "PIN_PROMOTION_NAME": (str, lambda c: _field(c.ad, "name")),
    "AD_STATUS": (str, lambda c: _field(c.ad, "summary_status")),
    "PIN_PROMOTION_STATUS": (str, lambda c: _field(c.ad, "summary_status")),
    "PIN_ID": (str, lambda c: _field(c.ad, "pin_id")),
    "VIDEO_LENGTH": (float, _video_length),
}
# Attributes the simulated advertisers never have (always omitted).
_NO_DATA_ATTRS: dict[str, type] = dict.fromkeys(
    (
        "CAMPAIGN_BRAND_LABEL",
        "CAMPAIGN_CUSTOM_LABELS",
        "CAMPAIGN_MANAGED_STATUS",
        "PROMO_ID",
        "PROMO_NAME",
        "ORDER_LINE_NAME",
        "PRODUCT_GROUP_ID",
        "PRODUCT_GROUP_STATUS",
        "PRODUCT_GROUP_AD_IMAGE_TAG",
        "PRODUCT_GROUP_AD_VIDEO_TAG",
        "STANDARD_AD_FEED_ITEM_ID",
        "PRODUCT_ITEM_NAME",
        "PRODUCT_ITEM_IMAGE_URL",
        "PRODUCT_ITEM_PRODUCT_URL",
        "PRODUCT_ITEM_PIN_URL",
        "PRODUCT_ITEM_BRAND",
        "PRODUCT_ITEM_DESCRIPTION",
        "PRODUCT_ITEM_PRODUCT_TYPE",
        "PRODUCT_ITEM_PRODUCT_CATEGORY",
        "PRODUCT_ITEM_CURRENCY",
    ),
    str,
) | {"PRODUCT_ITEM_PRICE": float, "PRODUCT_ITEM_SALE_PRICE": float}

_VIDEO = (
    "VIDEO_P0_COMBINED",
    "VIDEO_3SEC_VIEWS",
    "VIDEO_MRC_VIEWS",
    "VIDEO_P25_COMBINED",
    "VIDEO_P50_COMBINED",
    "VIDEO_P75_COMBINED",
    "VIDEO_15SEC_UNIQUE_VIEWS",
    "VIDEO_P95_COMBINED",
    "VIDEO_P100_COMPLETE",
)
# Counts kept as they are in DayStats.base (the `_` ones are internal).
_BASE = frozenset(
    (
        "IMPRESSION_1",
        "IMPRESSION_1_GROSS",
        "CLICKTHROUGH_1",
        "CLICKTHROUGH_1_GROSS",
        "OUTBOUND_CLICK_1",
        "REPIN_1",
        "ENGAGEMENT_1",
        "IMPRESSION_2",
        "CLICKTHROUGH_2",
        "OUTBOUND_CLICK_2",
        "REPIN_2",
        "ENGAGEMENT_2",
        "TOTAL_IMPRESSION_USER",
        "SPEND_IN_MICRO_DOLLAR",
        "WEB_SESSIONS_1",
        "WEB_SESSIONS_2",
        "TOTAL_DESTINATION_VIEWS",
        "LEADS",
        "_WATCH_SECONDS_1",
        "_WATCH_SECONDS_2",
        "_VIDEO_SPEND",
        *(f"{v}_{n}" for v in _VIDEO for n in "12"),
    )
)
_ALIASES = {"PAID_IMPRESSION": "IMPRESSION_1"}
_ZERO = ("ADS_CREDIT_SPEND_IN_MICRO_DOLLAR", "ONSITE_CHECKOUTS_1")
_FORMAT_PREFIXES = (("IDEA_PIN_", "IDEA"), ("SHOWCASE_", "SHOWCASE"), ("QUIZ_", "QUIZ"))

_S, _C1, _I1, _O1, _V = (
    "SPEND_IN_MICRO_DOLLAR",
    "CLICKTHROUGH_1",
    "IMPRESSION_1",
    "OUTBOUND_CLICK_1",
    "_VIDEO_SPEND",
)
# name: (numerator columns, denominator columns, multiplier, divisor, type)
_RATIOS: dict[str, tuple[tuple[str, ...], tuple[str, ...], float, float, type]] = {
    "SPEND_IN_DOLLAR": ((_S,), (), 1, MICRO, float),
    "ADS_CREDIT_SPEND_IN_DOLLAR": (("ADS_CREDIT_SPEND_IN_MICRO_DOLLAR",), (), 1, MICRO, float),
    "CPC_IN_MICRO_DOLLAR": ((_S,), (_C1,), 1, 1, int),
    "ECPC_IN_MICRO_DOLLAR": ((_S,), (_C1,), 1, 1, int),
    "ECPC_IN_DOLLAR": ((_S,), (_C1,), 1, MICRO, float),
    "CTR": ((_C1,), (_I1,), 1, 1, float),
    "ECTR": ((_C1,), (_I1,), 1, 1, float),
    "CTR_2": (("CLICKTHROUGH_2",), ("IMPRESSION_2",), 1, 1, float),
    "OUTBOUND_CTR_1": ((_O1,), (_I1,), 1, 1, float),
    "OUTBOUND_CTR": ((_O1,), (_I1,), 1, 1, float),
    "ECPE_IN_DOLLAR": ((_S,), ("ENGAGEMENT_1",), 1, MICRO, float),
    "ENGAGEMENT_RATE": (("ENGAGEMENT_1",), (_I1,), 1, 1, float),
    "EENGAGEMENT_RATE": (("ENGAGEMENT_1",), (_I1,), 1, 1, float),
    "ECPM_IN_MICRO_DOLLAR": ((_S,), (_I1,), 1000, 1, int),
    "CPM_IN_MICRO_DOLLAR": ((_S,), (_I1,), 1000, 1, int),
    "CPM_IN_DOLLAR": ((_S,), (_I1,), 1000, MICRO, float),
    "REPIN_RATE": (("REPIN_1",), (_I1,), 1, 1, float),
    "TOTAL_REPIN_RATE": (("REPIN_1", "REPIN_2"), (_I1, "IMPRESSION_2"), 1, 1, float),
    "TOTAL_IMPRESSION_FREQUENCY": (
        (_I1, "IMPRESSION_2"),
        ("TOTAL_IMPRESSION_USER",),
        1,
        1,
        float,
    ),
    "COST_PER_OUTBOUND_CLICK_IN_DOLLAR": ((_S,), (_O1,), 1, MICRO, float),
    "COST_PER_OUTBOUND_CLICK_IN_DOLLAR_1": ((_S,), (_O1,), 1, MICRO, float),
    "COST_PER_OUTBOUND_CLICK": ((_S,), (_O1,), 1, MICRO, float),
    "PAID_VIDEO_VIEWABLE_RATE": (("VIDEO_MRC_VIEWS_1",), (_I1,), 1, 1, float),
    "VIDEO_SPEND_IN_DOLLAR": ((_V,), (), 1, MICRO, float),
    "ECPV_IN_DOLLAR": ((_V,), ("VIDEO_3SEC_VIEWS_1",), 1, MICRO, float),
    "ECPCV_IN_DOLLAR": ((_V,), ("VIDEO_P100_COMPLETE_1",), 1, MICRO, float),
    "ECPCV_P95_IN_DOLLAR": ((_V,), ("VIDEO_P95_COMBINED_1",), 1, MICRO, float),
    "CPV_IN_MICRO_DOLLAR": ((_V,), ("VIDEO_3SEC_VIEWS_1",), 1, 1, int),
    "CPCV_IN_MICRO_DOLLAR": ((_V,), ("VIDEO_P100_COMPLETE_1",), 1, 1, int),
    "CPCV_P95_IN_MICRO_DOLLAR": ((_V,), ("VIDEO_P95_COMBINED_1",), 1, 1, int),
    "VIDEO_AVG_WATCHTIME_IN_SECOND_1": (
        ("_WATCH_SECONDS_1",),
        ("VIDEO_P0_COMBINED_1",),
        1,
        1,
        float,
    ),
    "VIDEO_AVG_WATCHTIME_IN_SECOND_2": (
        ("_WATCH_SECONDS_2",),
        ("VIDEO_P0_COMBINED_2",),
        1,
        1,
        float,
    ),
    "TOTAL_VIDEO_AVG_WATCHTIME_IN_SECOND": (
        ("_WATCH_SECONDS_1", "_WATCH_SECONDS_2"),
        ("VIDEO_P0_COMBINED_1", "VIDEO_P0_COMBINED_2"),
        1,
        1,
        float,
    ),
    "COST_PER_LEAD": ((_S,), ("LEADS",), 1, MICRO, float),
    "QUIZ_COMPLETION_RATE": (("QUIZ_COMPLETED",), (_I1,), 1, 1, float),
    "SHOWCASE_AVERAGE_SUBPAGE_CLOSEUP_PER_SESSION": (
        ("SHOWCASE_SUBPAGE_CLOSEUP",),
        ("SHOWCASE_PIN_CLICKTHROUGH",),
        1,
        1,
        float,
    ),
}

_EVENT_NAMES = "|".join(sorted({*EVENTS, *NO_DATA_EVENTS, "CONVERSIONS"}, key=len, reverse=True))
_DEVICE = "DESKTOP|MOBILE|TABLET"
_TOTAL_CONVERSION = re.compile(
    rf"^TOTAL_(?:(?P<channel>WEB|INAPP|OFFLINE)_)?(?:(?P<action>CLICK|ENGAGEMENT|VIEW)_)?"
    rf"(?P<event>{_EVENT_NAMES})(?:_(?P<suffix>QUANTITY|VALUE_IN_MICRO_DOLLAR|CONVERSION_RATE|"
    rf"(?P<source>{_DEVICE})_ACTION_TO_(?P<target>{_DEVICE})_CONVERSION))?$"
)
_PER_ACTION = re.compile(
    rf"^(?:(?P<channel>WEB|INAPP|OFFLINE)_)?(?P<event>{_EVENT_NAMES})_(?P<kind>COST_PER_ACTION|ROAS)$"
)


def _conversion_getter(match: re.Match[str]) -> Callable[[DayStats], int]:
    channel, action, event = match["channel"], match["action"], match["event"]
    suffix, source, target = match["suffix"], match["source"], match["target"]
    if suffix == "QUANTITY":

        def quantity(d: DayStats) -> int:
            count = d.channel_conversions(channel, action, event)
            return count + count // 3

        return quantity
    if suffix == "VALUE_IN_MICRO_DOLLAR":
        return lambda d: d.conversion_value(channel, action, event)
    if source is not None:
        return lambda d: d.cross_device(event, source, target)
    return lambda d: d.channel_conversions(channel, action, event)


def _total_conversion(name: str) -> Column | None:
    """TOTAL_[WEB_|INAPP_|OFFLINE_][CLICK_|ENGAGEMENT_|VIEW_]<EVENT>[_<suffix>]."""
    match = _TOTAL_CONVERSION.match(name)
    if match is None:
        return None
    if match["suffix"] == "CONVERSION_RATE":
        parts = (match["channel"], match["action"], match["event"])
        count_name = "TOTAL_" + "_".join(p for p in parts if p)
        return Column(name, float, "ratio", num=(count_name,), den=(_C1,), conversion=True)
    return Column(name, int, "sum", _conversion_getter(match), conversion=True)


def _per_action(name: str) -> Column | None:
    """[WEB_|INAPP_|OFFLINE_]<EVENT>_COST_PER_ACTION (dollars) and ..._ROAS."""
    match = _PER_ACTION.match(name)
    if match is None:
        return None
    count_name = "TOTAL_" + (f"{match['channel']}_" if match["channel"] else "") + match["event"]
    if match["kind"] == "ROAS":
        num, den, div = (count_name + "_VALUE_IN_MICRO_DOLLAR",), (_S,), 1.0
    else:
        num, den, div = (_S,), (count_name,), float(MICRO)
    return Column(name, float, "ratio", num=num, den=den, div=div, conversion=True)


def _format_getter(fmt: str, name: str) -> Callable[[DayStats], int]:
    earned = name.endswith("_2")
    return lambda d: d.format_count(fmt, name, earned)


def _format_count(name: str) -> Column | None:
    """Idea, showcase and quiz Pin engagement: only entities of that format have any."""
    for prefix, fmt in _FORMAT_PREFIXES:
        if name.startswith(prefix) and name not in _RATIOS:
            return Column(name, int, "sum", _format_getter(fmt, name))
    return None


def _attribute(name: str) -> Column | None:
    if name in _ATTRS:
        kind, fn = _ATTRS[name]
        return Column(name, kind, "attr", attr=fn)
    if name in _NO_DATA_ATTRS:
        return Column(name, _NO_DATA_ATTRS[name], "attr", attr=lambda _c: None)
    return None


def _plain(name: str) -> Column | None:
    if name in _BASE:
        return Column(name, int, "sum", lambda d: d.base.get(name, 0))
    if name in _ALIASES:
        return Column(name, int, "sum", define(_ALIASES[name]).get)
    if name in _ZERO:
        return Column(name, int, "sum", lambda _d: 0)
    if name in _RATIOS:
        num, den, mult, div, kind = _RATIOS[name]
        return Column(name, kind, "ratio", num=num, den=den, mult=mult, div=div)
    return None


def _paid_plus_earned(name: str) -> Column | None:
    """TOTAL_X = X_1 (paid) + X_2 (earned) for the counts that have both."""
    if not name.startswith("TOTAL_"):
        return None
    get1, get2 = define(f"{name[6:]}_1").get, define(f"{name[6:]}_2").get
    if get1 is None or get2 is None:
        return None
    return Column(name, int, "sum", lambda d: get1(d) + get2(d))


_BUILDERS = (_attribute, _plain, _total_conversion, _per_action, _format_count, _paid_plus_earned)


@cache
def define(name: str) -> Column:
    """The definition of column `name` (the API's names plus a few internal `_` ones)."""
    for build in _BUILDERS:
        found = build(name)
        if found is not None:
            return found
    raise KeyError(name)


def column_type(name: str) -> type:
    """The JSON type of column `name` (int, float, str or bool); KeyError if unknown."""
    if name not in ALL_COLUMNS:
        raise KeyError(name)
    return define(name).type


def is_conversion_column(name: str) -> bool:
    """True for the conversion columns: attribution-dependent, restated, absent by the hour."""
    return define(name).conversion
