"""Date limits of the analytics endpoints, relative to the frozen clock (TODAY, UTC)."""

from __future__ import annotations

from typing import Any

import pytest

from tap_pinterest.simulator import (
    HOUR_LIMITS,
    ORGANIC_LIMITS,
    REPORT_LIMITS,
    SYNC_LIMITS,
    DateLimits,
    Simulator,
)

from .conftest import NOW, TODAY, Api, Clock, days_ago


def test_the_limits_are_exposed() -> None:
    assert DateLimits(max_days_back=90, max_range_days=90) == SYNC_LIMITS
    assert DateLimits(max_days_back=8, max_range_days=3) == HOUR_LIMITS
    assert DateLimits(max_days_back=914, max_range_days=186) == REPORT_LIMITS
    assert DateLimits(max_days_back=90, max_range_days=90) == ORGANIC_LIMITS
    assert SYNC_LIMITS.earliest(TODAY).isoformat() == days_ago(90)


def _get(sim: Simulator, api: Api, start: str, end: str, granularity: str = "DAY") -> Any:
    account = sim.dataset.ad_accounts[0]
    return api.get(
        f"/ad_accounts/{account['id']}/analytics",
        start_date=start,
        end_date=end,
        granularity=granularity,
        columns="IMPRESSION_1",
    )


@pytest.mark.parametrize(
    ("start", "end", "granularity", "problem"),
    [
        # today - 90 is the earliest start; a range covers at most 90 days, both ends in.
        (90, 1, "DAY", None),
        (89, 0, "DAY", None),
        (0, 0, "DAY", None),
        (91, 2, "DAY", "more than 90 days before today"),
        (90, 0, "DAY", "covers 91 days"),
        (5, -1, "DAY", "after today"),
        (3, 4, "DAY", "before start_date"),
        (90, 1, "TOTAL", None),
        (90, 1, "WEEK", None),
        (90, 1, "MONTH", None),
        # HOUR: today - 8 is the earliest start, and at most 3 days.
        (8, 6, "HOUR", None),
        (2, 0, "HOUR", None),
        (9, 7, "HOUR", "more than 8 days before today"),
        (3, 0, "HOUR", "covers 4 days"),
    ],
)
def test_date_limits(
    asim: Simulator, aapi: Api, start: int, end: int, *, granularity: str, problem: str | None
) -> None:
    response = _get(asim, aapi, days_ago(start), days_ago(end), granularity)
    if problem is None:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 400
        assert response.json()["code"] == 1
        assert problem in response.json()["message"]


@pytest.mark.parametrize("value", ["2026/11/01", "2026-02-30", "20261101", "yesterday", ""])
def test_dates_must_be_yyyy_mm_dd(asim: Simulator, aapi: Api, value: str) -> None:
    response = _get(asim, aapi, value, days_ago(0))
    assert response.status_code == 400
    assert "start_date" in response.json()["message"]


def test_today_follows_the_simulator_clock() -> None:
    clock = Clock(NOW + 86_400)  # one day later
    with Simulator(seed=1, scale=0.3, clock=clock) as sim:
        api = Api(sim)
        assert sim.analytics.today().isoformat() == "2026-11-21"
        assert _get(sim, api, days_ago(-1), days_ago(-1)).status_code == 200
        clock.advance(-2 * 86_400)
        assert _get(sim, api, days_ago(0), days_ago(0)).status_code == 400


@pytest.mark.parametrize(
    ("start", "end", "ok"),
    [(90, 1, True), (91, 2, False), (90, 0, False), (0, -1, False)],
)
def test_organic_date_limits(asim: Simulator, aapi: Api, start: int, end: int, ok: bool) -> None:
    user = aapi.get("/user_account/analytics", start_date=days_ago(start), end_date=days_ago(end))
    pins = aapi.get(
        "/pins/analytics",
        pin_ids=asim.dataset.pins[0]["id"],
        metric_types="IMPRESSION",
        start_date=days_ago(start),
        end_date=days_ago(end),
    )
    for response in (user, pins):
        assert (response.status_code == 200) is ok, response.text
        if not ok:
            assert response.json()["code"] == 1
