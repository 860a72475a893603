"""Granularities: TOTAL, WEEK and MONTH add up the days; HOUR rows and their limits."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import pytest

from tap_pinterest.simulator import Simulator, is_conversion_column

from .conftest import TODAY, Api, account_of, days_ago, ids_of


def _bucket(day: date, granularity: str, start: date) -> str:
    first = {
        "TOTAL": start,
        "WEEK": day - timedelta(days=day.weekday()),
        "MONTH": day.replace(day=1),
    }[granularity]
    return max(start, first).isoformat()


@pytest.mark.parametrize("granularity", ["TOTAL", "WEEK", "MONTH"])
def test_total_week_and_month_add_up_the_days(asim: Simulator, granularity: str) -> None:
    ids = ids_of(asim, "campaigns", account_of(asim), ("ACTIVE",))[:3]
    start, end = date(2026, 9, 10), date(2026, 11, 20)  # a Thursday to a Friday
    counts = ["IMPRESSION_1", "CLICKTHROUGH_1", "SPEND_IN_MICRO_DOLLAR", "TOTAL_CONVERSIONS"]

    def rows(granularity: str) -> list[dict[str, Any]]:
        return asim.analytics.rows(
            "CAMPAIGN", ids, start, end, granularity=granularity, columns=[*counts, "CTR"]
        )

    expected: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows("DAY"):
        key = (row["CAMPAIGN_ID"], _bucket(date.fromisoformat(row["DATE"]), granularity, start))
        for name in counts:
            expected[key][name] += row.get(name, 0)
    found = rows(granularity)
    assert found and len(found) == len(expected)
    for row in found:
        assert ("DATE" in row) is (granularity != "TOTAL")
        sums = expected[(row["CAMPAIGN_ID"], row.get("DATE", start.isoformat()))]
        assert {n: row.get(n, 0) for n in counts} == dict(sums)
        assert row["CTR"] == sums["CLICKTHROUGH_1"] / sums["IMPRESSION_1"]
    labels = {date.fromisoformat(r["DATE"]) for r in found if "DATE" in r}
    if granularity == "WEEK":
        assert start in labels and all(d.weekday() == 0 or d == start for d in labels)
    if granularity == "MONTH":
        assert labels == {start, date(2026, 10, 1), date(2026, 11, 1)}


def test_hourly_rows_carry_date_and_hour_and_no_conversions(asim: Simulator, aapi: Api) -> None:
    account = account_of(asim)
    ads = ids_of(asim, "ads", account, ("ACTIVE",))[:5]
    response = aapi.get(
        f"/ad_accounts/{account}/ads/analytics",
        start_date=days_ago(2),
        end_date=days_ago(0),
        granularity="HOUR",
        columns="IMPRESSION_1,SPEND_IN_MICRO_DOLLAR,TOTAL_CONVERSIONS,TOTAL_CHECKOUT,CHECKOUT_ROAS",
        ad_ids=",".join(ads),
    )
    assert response.status_code == 200, response.text
    rows = response.json()
    assert rows
    for row in rows:
        assert set(row) <= {"AD_ID", "DATE", "HOUR", "IMPRESSION_1", "SPEND_IN_MICRO_DOLLAR"}
        assert date.fromisoformat(row["DATE"]) >= TODAY - timedelta(days=2)
        assert isinstance(row["HOUR"], int) and 0 <= row["HOUR"] <= 23
    assert is_conversion_column("TOTAL_CONVERSIONS") and is_conversion_column("CHECKOUT_ROAS")
    assert not is_conversion_column("IMPRESSION_1")
    # The hours of a day add up to about the day.
    daily = asim.analytics.rows(
        "AD", ads, days_ago(2), days_ago(0), granularity="DAY", columns=["IMPRESSION_1"]
    )
    for day in daily:
        hours = [
            r["IMPRESSION_1"]
            for r in rows
            if r["AD_ID"] == day["AD_ID"] and r["DATE"] == day["DATE"]
        ]
        assert abs(sum(hours) - day["IMPRESSION_1"]) <= 0.2 * day["IMPRESSION_1"] + 24
