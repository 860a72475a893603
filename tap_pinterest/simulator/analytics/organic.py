"""Organic analytics: GET /user_account/analytics and GET /pins/analytics bodies.

Both answer per day, deterministically from (seed, user or Pin id, date, filters):

    /user_account/analytics (AnalyticsResponse, split_field NO_SPLIT):
        {"all": {"daily_metrics": [{"date": "2026-11-19", "data_status": "READY",
                                    "metrics": {"IMPRESSION": 1234, "SAVE_RATE": 0.01, ...}},
                                   ...,
                                   {"date": "2026-11-20", "data_status": "PROCESSING"}],
                 "summary_metrics": {"IMPRESSION": 45678, ...}}}
    /pins/analytics (BulkPinAnalyticsResponse), one entry per requested Pin:
        {"<pin id>": {"all": {"daily_metrics": [...], "summary_metrics": {...},
                              "lifetime_metrics": {"TOTAL_COMMENTS": 3, "TOTAL_REACTIONS": 9}}}}

Today's entry (the clock's UTC date) is PROCESSING and has no metrics; days before a Pin
was created are BEFORE_PIN_CREATED, without metrics. Summaries cover the READY days:
counts add up, rates are recomputed from the sums. Organic metrics are never omitted when
zero, except the video metrics of Pins that are not videos. TOTAL_COMMENTS and
TOTAL_REACTIONS are lifetime numbers, in `lifetime_metrics` only. Filters (app_types,
content_type, source, from_claimed_content, pin_format) scale the volumes by fixed shares.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tap_pinterest.simulator.analytics.columns_catalog import (
    PIN_METRIC_TYPES,
    USER_ACCOUNT_METRIC_TYPES,
)
from tap_pinterest.simulator.analytics.metrics import uniforms

Record = dict[str, Any]

# filter parameter -> {value: share of the activity}; the first value is the default.
FILTER_SHARES: dict[str, dict[str, float]] = {
    "from_claimed_content": {"BOTH": 1.0, "CLAIMED": 0.6, "OTHER": 0.4},
    "pin_format": {
        "ALL": 1.0,
        "ORGANIC_IMAGE": 0.45,
        "ORGANIC_PRODUCT": 0.1,
        "ORGANIC_VIDEO": 0.15,
        "ADS_STANDARD": 0.15,
        "ADS_PRODUCT": 0.05,
        "ADS_VIDEO": 0.07,
        "ADS_IDEA": 0.03,
    },
    "app_types": {"ALL": 1.0, "MOBILE": 0.55, "TABLET": 0.1, "WEB": 0.35},
    "content_type": {"ALL": 1.0, "PAID": 0.25, "ORGANIC": 0.75},
    "source": {"ALL": 1.0, "YOUR_PINS": 0.7, "OTHER_PINS": 0.3},
}
LIFETIME_METRICS = ("TOTAL_COMMENTS", "TOTAL_REACTIONS")
# rate -> (numerator, denominator)
_RATES = {
    "ENGAGEMENT_RATE": ("ENGAGEMENT", "IMPRESSION"),
    "OUTBOUND_CLICK_RATE": ("OUTBOUND_CLICK", "IMPRESSION"),
    "PIN_CLICK_RATE": ("PIN_CLICK", "IMPRESSION"),
    "SAVE_RATE": ("SAVE", "IMPRESSION"),
    "VIDEO_AVG_WATCH_TIME": ("VIDEO_V50_WATCH_TIME", "VIDEO_START"),
}


def filter_share(filters: dict[str, str]) -> float:
    """The share of the activity that `filters` keep (KeyError for an unknown value)."""
    share = 1.0
    for name, value in filters.items():
        share *= FILTER_SHARES[name][value]
    return share


def pin_lifetime(pin_id: str) -> dict[str, int]:
    """Lifetime counts of a Pin, shared with the `pin_metrics` of the Pin lists."""
    n = int(pin_id[-7:])
    return {
        "impression": (50 + n % 5000) * 3,
        "pin_click": n % 297,
        "clickthrough": n % 91,
        "save": n % 43,
        "reaction": n % 17,
        "comment": n % 5,
    }


def _counts(u: list[float], volume: float, video: bool) -> dict[str, int]:
    impressions = round(volume * (0.5 + u[0]))
    pin_click = round(impressions * (0.005 + 0.02 * u[1]))
    outbound = round(pin_click * (0.2 + 0.5 * u[2]))
    save = round(impressions * (0.002 + 0.01 * u[3]))
    out = {
        "IMPRESSION": impressions,
        "PIN_CLICK": pin_click,
        "OUTBOUND_CLICK": outbound,
        "SAVE": save,
        "ENGAGEMENT": pin_click + outbound + save,
        "USER_FOLLOW": round(save * 0.1 * u[4]),
        "PROFILE_VISIT": round(pin_click * 0.2 * u[5]),
    }
    if video:
        starts = round(impressions * (0.3 + 0.3 * u[6]))
        out.update(
            VIDEO_START=starts,
            VIDEO_MRC_VIEW=round(starts * 0.6),
            VIDEO_10S_VIEW=round(starts * 0.3),
            QUARTILE_95_PERCENT_VIEW=round(starts * 0.12),
            VIDEO_V50_WATCH_TIME=round(starts * (2000 + 6000 * u[7])),
        )
    return out


def _metrics(counts: dict[str, int], names: Sequence[str]) -> dict[str, int | float]:
    out: dict[str, int | float] = {}
    for name in names:
        if name in _RATES:
            num, den = _RATES[name]
            if num not in counts:
                continue
            out[name] = counts[num] / counts[den] if counts[den] else 0.0
        elif name in counts:
            out[name] = counts[name]
    return out


def _series(
    dates: tuple[date, date],
    *,
    today: date,
    names: Sequence[str],
    day_counts: Callable[[date], dict[str, int]],
    first_day: date | None = None,
) -> dict[str, Any]:
    start, end = dates
    daily: list[Record] = []
    totals: dict[str, int] = {}
    for i in range((end - start).days + 1):
        day = start + timedelta(days=i)
        if first_day is not None and day < first_day:
            daily.append({"date": day.isoformat(), "data_status": "BEFORE_PIN_CREATED"})
            continue
        if day >= today:
            daily.append({"date": day.isoformat(), "data_status": "PROCESSING"})
            continue
        counts = day_counts(day)
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
        daily.append(
            {"date": day.isoformat(), "data_status": "READY", "metrics": _metrics(counts, names)}
        )
    return {"daily_metrics": daily, "summary_metrics": _metrics(totals, names) if totals else {}}


def user_account_analytics(
    seed: int,
    user_id: str,
    dates: tuple[date, date],
    *,
    metric_types: Sequence[str] | None,
    today: date,
    filters: dict[str, str],
) -> dict[str, Any]:
    names = list(dict.fromkeys(metric_types or USER_ACCOUNT_METRIC_TYPES))
    volume = 20_000 * filter_share(filters)

    def counts(day: date) -> dict[str, int]:
        return _counts(uniforms(seed, "user", user_id, day.toordinal()), volume, video=False)

    return {"all": _series(dates, today=today, names=names, day_counts=counts)}


def pin_analytics(
    seed: int,
    pins: Sequence[Record],
    dates: tuple[date, date],
    *,
    metric_types: Sequence[str],
    app_types: str,
    today: date,
) -> dict[str, Any]:
    names = [m for m in dict.fromkeys(metric_types) if m in PIN_METRIC_TYPES]
    daily_names = [m for m in names if m not in LIFETIME_METRICS]
    lifetime_names = [m for m in names if m in LIFETIME_METRICS]
    out: dict[str, Any] = {}
    for pin in pins:
        pin_id = str(pin["id"])
        video = (pin.get("media") or {}).get("media_type") == "video"
        volume = (
            40
            * (0.2 + 3 * uniforms(seed, "pin-size", pin_id)[0])
            * filter_share({"app_types": app_types})
        )
        created = datetime.strptime(pin["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)

        def counts(
            day: date, pin_id: str = pin_id, volume: float = volume, video: bool = video
        ) -> dict[str, int]:
            return _counts(uniforms(seed, "pin", pin_id, day.toordinal()), volume, video)

        body = _series(
            dates, today=today, names=daily_names, day_counts=counts, first_day=created.date()
        )
        if lifetime_names:
            life = pin_lifetime(pin_id)
            lifetime = {"TOTAL_COMMENTS": life["comment"], "TOTAL_REACTIONS": life["reaction"]}
            body["lifetime_metrics"] = {m: lifetime[m] for m in lifetime_names}
        out[pin_id] = {"all": body}
    return out
