"""Date windows of analytics requests, and the pacer: pure functions, no HTTP."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from tap_pinterest.streams.analytics.windows import plan

TODAY = dt.date(2026, 11, 24)


def _spans(windows):
    return [(w.start.isoformat(), w.end.isoformat(), w.source) for w in windows]


def test_recent_days_are_one_sync_window() -> None:
    windows, notices = plan(dt.date(2026, 10, 1), TODAY, TODAY, "DAY", reports=True)
    assert _spans(windows) == [("2026-10-01", "2026-11-24", "sync")]
    assert notices == []


def test_two_years_back_uses_reports_of_186_days_then_one_sync_window() -> None:
    windows, notices = plan(TODAY - dt.timedelta(days=730), TODAY, TODAY, "DAY", reports=True)
    reports = [w for w in windows if w.source == "report"]
    syncs = [w for w in windows if w.source == "sync"]
    assert len(reports) == 4
    assert all(w.days <= 186 for w in reports)
    assert syncs == [w for w in windows if w.start >= TODAY - dt.timedelta(days=89)]
    assert len(syncs) == 1
    assert syncs[0].start == TODAY - dt.timedelta(days=89)
    assert syncs[0].days == 90
    # Contiguous, no gap, no overlap.
    for left, right in itertools.pairwise(windows):
        assert right.start == left.end + dt.timedelta(days=1)
    assert notices == []


def test_older_than_914_days_is_clamped_with_a_notice() -> None:
    windows, notices = plan(dt.date(2020, 1, 1), TODAY, TODAY, "DAY", reports=True)
    assert windows[0].start == TODAY - dt.timedelta(days=913)
    assert len(notices) == 1
    assert "2020-01-01" in notices[0]


def test_without_reports_only_90_days_are_served() -> None:
    windows, notices = plan(dt.date(2026, 1, 1), TODAY, TODAY, "DAY", reports=False)
    assert _spans(windows) == [((TODAY - dt.timedelta(days=89)).isoformat(), "2026-11-24", "sync")]
    assert "not available" in notices[0]


def test_hour_granularity_is_split_in_3_days_and_clamped_to_8_days_back() -> None:
    windows, notices = plan(TODAY - dt.timedelta(days=30), TODAY, TODAY, "HOUR", reports=True)
    assert all(w.days <= 3 and w.source == "sync" for w in windows)
    assert windows[0].start == TODAY - dt.timedelta(days=7)
    assert windows[-1].end == TODAY
    assert len(notices) == 1


@pytest.mark.parametrize("granularity", ["WEEK", "MONTH"])
def test_week_and_month_windows_never_split_a_period(granularity: str) -> None:
    windows, _ = plan(dt.date(2025, 3, 17), TODAY, TODAY, granularity, reports=True)
    for window in windows[:-1]:
        nxt = window.end + dt.timedelta(days=1)
        assert nxt.weekday() == 0 if granularity == "WEEK" else nxt.day == 1
        limit = 186 if window.source == "report" else 90
        assert window.days <= limit
    sync = [w for w in windows if w.source == "sync"]
    assert sync[0].start >= TODAY - dt.timedelta(days=89)


def test_end_date_in_the_future_stops_at_today() -> None:
    windows, _ = plan(
        TODAY - dt.timedelta(days=3), TODAY + dt.timedelta(days=10), TODAY, "DAY", reports=True
    )
    assert windows[-1].end == TODAY


def test_start_after_end_is_nothing() -> None:
    assert plan(TODAY, TODAY - dt.timedelta(days=1), TODAY, "DAY", reports=True)[0] == []
