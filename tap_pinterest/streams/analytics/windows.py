"""Which dates an analytics sync asks for, and through which API.

Pinterest serves analytics synchronously for at most 90 days back, 90 days per
request (HOUR: 8 days back, 3 days per request). Older days, up to 914 days back,
come only from asynchronous reports of at most 186 days each (HOUR: the same 8
days). The planner turns the wanted range into request windows: reports for the
old part, synchronous windows for the recent part, each within its limits, with a
notice for every day it has to leave out. The limits are applied conservatively
(both ends inclusive: "90 days back" allows ``today - 89`` to ``today``).

WEEK and MONTH rows are keyed by the first day of their period, so windows start
and end on period boundaries; a period cut by a limit is left out rather than
emitted as a partial sum.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from dataclasses import dataclass

import pendulum


@dataclass(frozen=True)
class Limits:
    """How far back, and how many days one request may cover (both inclusive)."""

    days_back: int
    days_per_request: int


SYNC_LIMITS = {"HOUR": Limits(8, 3), "DEFAULT": Limits(90, 90)}
REPORT_LIMITS = {"HOUR": Limits(8, 3), "DEFAULT": Limits(914, 186)}


def limits(table: dict[str, Limits], granularity: str) -> Limits:
    """The limits of ``granularity`` in ``table``."""
    return table.get(granularity, table["DEFAULT"])


@dataclass(frozen=True)
class Window:
    """One request's dates: ``start`` to ``end`` inclusive, via ``source``."""

    start: dt.date
    end: dt.date
    source: t.Literal["sync", "report"]

    @property
    def days(self) -> int:
        """Number of days covered."""
        return (self.end - self.start).days + 1


def period_start(day: dt.date, granularity: str) -> dt.date:
    """The first day of the period ``day`` belongs to (Monday-based weeks)."""
    if granularity == "WEEK":
        return day - dt.timedelta(days=day.weekday())
    if granularity == "MONTH":
        return day.replace(day=1)
    return day


def _next_period(day: dt.date, granularity: str) -> dt.date:
    if granularity == "WEEK":
        return period_start(day, granularity) + dt.timedelta(days=7)
    if granularity == "MONTH":
        return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return day + dt.timedelta(days=1)


def _split(
    start: dt.date, end: dt.date, size: int, granularity: str, source: t.Literal["sync", "report"]
) -> list[Window]:
    """Cut ``start..end`` into windows of at most ``size`` days.

    For WEEK and MONTH a window ends on the last whole period that fits (a period is
    never split between two requests); the last window may end inside the current,
    unfinished period.
    """
    one_day = dt.timedelta(days=1)
    windows = []
    cursor = start
    while cursor <= end:
        stop = min(cursor + dt.timedelta(days=size - 1), end)
        if granularity in {"WEEK", "MONTH"}:
            period_end = _next_period(cursor, granularity) - one_day
            while _next_period(period_end + one_day, granularity) - one_day <= stop:
                period_end = _next_period(period_end + one_day, granularity) - one_day
            stop = min(period_end, end)
        windows.append(Window(cursor, stop, source))
        cursor = stop + one_day
    return windows


def plan(
    start: dt.date,
    end: dt.date,
    today: dt.date,
    granularity: str,
    *,
    reports: bool,
) -> tuple[list[Window], list[str]]:
    """Windows covering ``start..end`` (oldest first), and notices for what is left out."""
    notices: list[str] = []
    end = min(end, today)
    sync = limits(SYNC_LIMITS, granularity)
    sync_earliest = today - dt.timedelta(days=sync.days_back - 1)
    earliest = sync_earliest
    if reports:
        report = limits(REPORT_LIMITS, granularity)
        earliest = min(earliest, today - dt.timedelta(days=report.days_back - 1))
    if start < earliest:
        reason = "no report reaches further back" if reports else "the API serves no older days"
        notices.append(
            f"{granularity} analytics before {earliest} are not available ({reason}); "
            f"starting at {earliest} instead of {start}"
        )
        start = earliest
    if granularity in {"WEEK", "MONTH"} and period_start(start, granularity) != start:
        first_full = _next_period(start, granularity)
        notices.append(
            f"{granularity} rows are keyed by the period's first day; starting at "
            f"{first_full}, the first whole period, instead of {start}"
        )
        start = first_full
    if start > end:
        return [], notices
    windows: list[Window] = []
    if start < sync_earliest:
        report_end = sync_earliest - dt.timedelta(days=1)
        if granularity in {"WEEK", "MONTH"}:
            # The period that straddles the sync limit comes whole from the report.
            report_end = _next_period(report_end, granularity) - dt.timedelta(days=1)
        report_end = min(report_end, end)
        size = limits(REPORT_LIMITS, granularity).days_per_request
        windows += _split(start, report_end, size, granularity, "report")
        start = report_end + dt.timedelta(days=1)
    windows += _split(start, end, sync.days_per_request, granularity, "sync")
    return windows, notices


def parse_day(value: str) -> dt.date:
    """A date (or the date of a date-time) from ISO-8601 text."""
    parsed = pendulum.parse(value)
    if isinstance(parsed, dt.datetime):
        return parsed.date()
    if isinstance(parsed, dt.date):
        return parsed
    msg = f"{value!r} is not a date"
    raise ValueError(msg)


def row_date(row: dict[str, t.Any], granularity: str) -> str | None:
    """``date`` of a row: YYYY-MM-DD, or YYYY-MM-DDTHH:00:00 with HOUR granularity."""
    raw = row.get("DATE", row.get("date"))
    if raw is None:
        return None
    text = str(raw).replace(" ", "T")
    if granularity != "HOUR":
        return text[:10]
    if "T" not in text:
        hour = row.get("HOUR", row.get("hour", 0))
        text = f"{text[:10]}T{int(hour):02d}:00:00"
    return text[:19]
