"""Date limits and parameter checks shared by the analytics endpoints and the reports.

Dates are UTC calendar days, and "today" is the UTC date of the simulator's clock. A
limit of N days back and a range of M days means, with both ends inclusive:

    today - N <= start_date <= end_date <= today   and   end_date - start_date <= M - 1

so the earliest start is exactly N days before today, and a request covers at most M
calendar days counting both ends (start_date == end_date is one day). The limits:

    synchronous ads analytics         90 days back, 90-day range  (SYNC_LIMITS)
    any ads analytics with HOUR        8 days back,  3-day range  (HOUR_LIMITS)
    asynchronous reports             914 days back, 186-day range (REPORT_LIMITS)
    user account and Pin analytics    90 days back, 90-day range  (ORGANIC_LIMITS)

Violations answer 400 with `{"code": 1, "message": ...}` naming the problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tap_pinterest.simulator.analytics.columns_catalog import (
    ATTRIBUTION_WINDOW_DAYS,
    CONVERSION_REPORT_TIMES,
)
from tap_pinterest.simulator.analytics.metrics import Attribution
from tap_pinterest.simulator.endpoints.params import ApiError, bad_parameter

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class DateLimits:
    """How far back a request may start and how many calendar days it may cover."""

    max_days_back: int
    max_range_days: int

    def earliest(self, today: date) -> date:
        return today - timedelta(days=self.max_days_back)


SYNC_LIMITS = DateLimits(max_days_back=90, max_range_days=90)
HOUR_LIMITS = DateLimits(max_days_back=8, max_range_days=3)
REPORT_LIMITS = DateLimits(max_days_back=914, max_range_days=186)
ORGANIC_LIMITS = DateLimits(max_days_back=90, max_range_days=90)


def parse_date(name: str, value: Any) -> date:
    """A YYYY-MM-DD string as a date, else ApiError 400 (code 1)."""
    if value is None or value == "":
        raise bad_parameter(f"Parameter '{name}' is required.")
    if not isinstance(value, str) or not _DATE.match(value):
        raise bad_parameter(f"Parameter '{name}' must be a date as YYYY-MM-DD (was {value!r}).")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise bad_parameter(f"Parameter '{name}' is not a valid date (was {value!r}).") from None


def check_dates(start: date, end: date, today: date, limits: DateLimits, what: str = "") -> None:
    """Enforce `limits` (see the module docstring); `what` qualifies the messages."""
    suffix = f" {what}" if what else ""
    if end < start:
        raise bad_parameter(f"end_date {end} is before start_date {start}.")
    if end > today:
        raise bad_parameter(f"end_date {end} is after today ({today}, UTC).")
    earliest = limits.earliest(today)
    if start < earliest:
        raise bad_parameter(
            f"start_date {start} is more than {limits.max_days_back} days before today "
            f"({today}, UTC){suffix}; the earliest allowed start_date is {earliest}."
        )
    days = (end - start).days + 1
    if days > limits.max_range_days:
        raise bad_parameter(
            f"The date range {start} to {end} covers {days} days{suffix}; "
            f"at most {limits.max_range_days} days are allowed."
        )


def attribution(get: Callable[[str], Any], *, json: bool = False) -> Attribution:
    """The attribution settings from `get(name)`, defaults applied: a query's digit
    strings, or with `json` a JSON body's integers. 0 is valid."""
    values: dict[str, Any] = {}
    for name in ("click_window_days", "engagement_window_days", "view_window_days"):
        raw = get(name)
        if raw is None:
            continue
        text = str(raw)
        wrong_type = isinstance(raw, bool) or (json and not isinstance(raw, int))
        if wrong_type or not text.isdigit() or int(text) not in ATTRIBUTION_WINDOW_DAYS:
            raise bad_parameter(
                f"Parameter '{name}' must be one of "
                f"{', '.join(map(str, ATTRIBUTION_WINDOW_DAYS))} (was {raw!r})."
            )
        values[name] = int(text)
    report_time = get("conversion_report_time")
    if report_time is not None:
        if report_time not in CONVERSION_REPORT_TIMES:
            raise bad_parameter(
                "Parameter 'conversion_report_time' must be one of "
                f"{', '.join(CONVERSION_REPORT_TIMES)} (was {report_time!r})."
            )
        values["conversion_report_time"] = report_time
    return Attribution(**values)


def check_columns(
    columns: list[str] | None, allowed: frozenset[str], name: str = "columns"
) -> None:
    if not columns:
        raise bad_parameter(f"Parameter '{name}' is required.")
    unknown = [c for c in dict.fromkeys(columns) if c not in allowed]
    if unknown:
        raise bad_parameter(
            f"Parameter '{name}' has invalid values: {', '.join(unknown)} "
            f"(see the spec's list of {len(allowed)} columns)."
        )


def not_found_ids(kind: str, account_id: str, missing: list[str]) -> ApiError:
    return bad_parameter(
        f"{kind} not found in ad account {account_id}: {', '.join(missing[:10])}"
        + (f" and {len(missing) - 10} more." if len(missing) > 10 else ".")
    )
