"""Restatement: a day's conversions change later, and only those (up to 30 days back)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tap_pinterest.simulator import Simulator, is_conversion_column

from .conftest import Api, days_ago

COLUMNS = [
    "IMPRESSION_1",
    "CLICKTHROUGH_1",
    "SPEND_IN_MICRO_DOLLAR",
    "CTR",
    "TOTAL_CONVERSIONS",
    "TOTAL_CHECKOUT",
    "TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR",
    "TOTAL_PAGE_VISIT",
    "CHECKOUT_ROAS",
    "PAGE_VISIT_COST_PER_ACTION",
]


def _campaigns(sim: Simulator) -> list[str]:
    account = sim.dataset.ad_accounts[0]["id"]
    return [
        c["id"]
        for c in sim.dataset.children("campaigns", "ad_account_id", account)
        if c["status"] == "ACTIVE"
    ]


def _rows(sim: Simulator, ids: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    rows = sim.analytics.rows(
        "CAMPAIGN", ids, days_ago(9), days_ago(0), granularity="DAY", columns=COLUMNS
    )
    return {(r["CAMPAIGN_ID"], r["DATE"]): r for r in rows}


def _split(row: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    conversions = {k: v for k, v in row.items() if k in COLUMNS and is_conversion_column(k)}
    others = {k: v for k, v in row.items() if k not in conversions}
    return conversions, others


def test_restating_a_day_changes_only_its_conversion_columns(asim: Simulator) -> None:
    ids = _campaigns(asim)
    before = _rows(asim, ids)
    day = days_ago(5)
    assert asim.restate(day) == 1
    after = _rows(asim, ids)
    assert after.keys() == before.keys()
    changed = 0
    for key, row in after.items():
        old_conv, old_rest = _split(before[key])
        new_conv, new_rest = _split(row)
        assert new_rest == old_rest  # delivery, spend and CTR never change
        if key[1] == day:
            changed += old_conv != new_conv
        else:
            assert new_conv == old_conv
    assert changed == sum(1 for key in before if key[1] == day) > 0


def test_restating_some_entities_and_again(asim: Simulator) -> None:
    ids = _campaigns(asim)
    day = days_ago(3)
    before = _rows(asim, ids)
    on_day = [key[0] for key in before if key[1] == day]
    target, other = on_day[0], on_day[1]
    asim.restate(day, [target], factor=2.0)
    once = _rows(asim, ids)
    assert once[(other, day)] == before[(other, day)]
    assert once[(target, day)]["TOTAL_CONVERSIONS"] > before[(target, day)]["TOTAL_CONVERSIONS"]
    assert asim.restate(day, [target], factor=1.0) == 2  # a new version, even at factor 1
    twice = _rows(asim, ids)
    assert twice[(target, day)] != once[(target, day)]
    assert [(r.day.isoformat(), r.factor) for r in asim.analytics.restatements()] == [
        (day, 2.0),
        (day, 1.0),
    ]


def test_endpoint_and_helper_agree_after_a_restatement(asim: Simulator, aapi: Api) -> None:
    ids = _campaigns(asim)
    asim.restate(days_ago(1))
    account = asim.dataset.ad_accounts[0]["id"]
    response = aapi.get(
        f"/ad_accounts/{account}/campaigns/analytics",
        start_date=days_ago(9),
        end_date=days_ago(0),
        granularity="DAY",
        columns=",".join(COLUMNS),
        campaign_ids=",".join(ids),
    )
    assert {(r["CAMPAIGN_ID"], r["DATE"]): r for r in response.json()} == _rows(asim, ids)


@pytest.mark.parametrize(
    ("day", "ids", "factor", "problem"),
    [
        (days_ago(31), None, 1.5, "last 30 days"),
        (days_ago(-1), None, 1.5, "last 30 days"),
        (days_ago(2), ["1234"], 1.5, "unknown entity"),
        (days_ago(2), None, 0.0, "factor"),
    ],
)
def test_restatement_limits(
    asim: Simulator, day: str, ids: list[str] | None, factor: float, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        asim.restate(day, ids, factor)
    asim.restate(days_ago(30))  # the oldest day that can be restated


def test_admin_route(asim: Simulator) -> None:
    ids = _campaigns(asim)
    before = _rows(asim, ids)
    url = f"{asim.url}/_sim/analytics/restate"
    response = requests.post(url, json={"day": days_ago(4), "entity_ids": ids[:2]}, timeout=10)
    assert response.status_code == 200 and response.json()["restatements"] == 1
    after = _rows(asim, ids)
    assert any(after[k] != before[k] for k in before if k[1] == days_ago(4) and k[0] in ids[:2])
    for body in (
        {"day": days_ago(45)},
        {"day": "nope"},
        {"factor": 2},
        {"day": days_ago(1), "entity_ids": "x"},
    ):
        bad = requests.post(url, json=body, timeout=10)
        assert bad.status_code == 400 and bad.json()["code"] == 1, body


def test_reports_built_after_a_restatement_show_it(asim: Simulator, aapi: Api) -> None:
    ids = _campaigns(asim)
    account = asim.dataset.ad_accounts[0]["id"]
    body = {
        "start_date": days_ago(9),
        "end_date": days_ago(0),
        "granularity": "DAY",
        "level": "CAMPAIGN",
        "columns": COLUMNS,
        "campaign_ids": ids,
    }
    asim.reports.poll_delay = 0
    before_token = aapi.post(f"/ad_accounts/{account}/reports", body).json()["token"]
    before = aapi.get(f"/ad_accounts/{account}/reports", token=before_token).json()
    asim.restate(days_ago(2))
    token = aapi.post(f"/ad_accounts/{account}/reports", body).json()["token"]
    after = aapi.get(f"/ad_accounts/{account}/reports", token=token).json()
    old = requests.get(before["url"], timeout=10).json()
    new = requests.get(after["url"], timeout=10).json()
    assert new != old  # the file built before the restatement keeps the old numbers
    flat = {(r["CAMPAIGN_ID"], r["DATE"]): r for rows in new.values() for r in rows}
    assert flat == _rows(asim, ids)
