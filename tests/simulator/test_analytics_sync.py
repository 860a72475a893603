"""Synchronous ads analytics: parameters, ids, rows, types, granularities and consistency."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tap_pinterest.simulator import Simulator, column_type
from tap_pinterest.simulator.analytics.columns_catalog import ASYNC_COLUMNS, SYNC_COLUMNS

from .conftest import Api, Clock, account_of, days_ago, ids_of

METRICS = [
    "SPEND_IN_MICRO_DOLLAR",
    "SPEND_IN_DOLLAR",
    "IMPRESSION_1",
    "IMPRESSION_2",
    "TOTAL_IMPRESSION",
    "CLICKTHROUGH_1",
    "OUTBOUND_CLICK_1",
    "ENGAGEMENT_1",
    "CTR",
    "CPC_IN_MICRO_DOLLAR",
    "TOTAL_CONVERSIONS",
    "TOTAL_CHECKOUT",
    "TOTAL_CLICK_CHECKOUT",
    "TOTAL_ENGAGEMENT_CHECKOUT",
    "TOTAL_VIEW_CHECKOUT",
    "TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR",
]
# (level, path suffix, ids parameter, collection)
LEVELS = [
    ("ADVERTISER", "/analytics", None, "ad_accounts"),
    ("CAMPAIGN", "/campaigns/analytics", "campaign_ids", "campaigns"),
    ("AD_GROUP", "/ad_groups/analytics", "ad_group_ids", "ad_groups"),
    ("PIN_PROMOTION", "/ads/analytics", "ad_ids", "ads"),
]


def campaign_query(sim: Simulator, **overrides: Any) -> dict[str, Any]:
    account = account_of(sim)
    query: dict[str, Any] = {
        "start_date": days_ago(29),
        "end_date": days_ago(0),
        "granularity": "DAY",
        "columns": ",".join(METRICS),
        "campaign_ids": ",".join(ids_of(sim, "campaigns", account)),
    }
    query.update(overrides)
    return {k: v for k, v in query.items() if v is not None}


def campaigns_path(sim: Simulator) -> str:
    return f"/ad_accounts/{account_of(sim)}/campaigns/analytics"


def assert_bad(response: Any, *words: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == 1
    for word in words:
        assert word in body["message"], body["message"]


@pytest.mark.parametrize(("level", "suffix", "param", "collection"), LEVELS)
def test_endpoint_returns_exactly_the_rows_helper(
    asim: Simulator, aapi: Api, level: str, suffix: str, *, param: str | None, collection: str
) -> None:
    account = account_of(asim)
    ids = ids_of(asim, collection, account)[:60]
    query: dict[str, Any] = {
        "start_date": days_ago(20),
        "end_date": days_ago(0),
        "granularity": "DAY",
        "columns": ",".join(METRICS),
    }
    if param:
        query[param] = ",".join(ids)
    response = aapi.get(f"/ad_accounts/{account}{suffix}", **query)
    assert response.status_code == 200, response.text
    rows = response.json()
    assert isinstance(rows, list) and rows
    expected = asim.analytics.rows(
        level, ids, days_ago(20), days_ago(0), granularity="DAY", columns=METRICS
    )
    assert rows == expected
    id_column = {"ADVERTISER": "AD_ACCOUNT_ID", "PIN_PROMOTION": "AD_ID"}.get(level, f"{level}_ID")
    assert all(isinstance(r[id_column], str) and r[id_column] in ids for r in rows)
    # Rows come by entity, in the order asked, then by date.
    order = [ids.index(r[id_column]) for r in rows]
    assert order == sorted(order)
    for entity in {r[id_column] for r in rows}:
        dates = [r["DATE"] for r in rows if r[id_column] == entity]
        assert dates == sorted(dates) and len(dates) == len(set(dates))


@pytest.mark.parametrize("missing", ["start_date", "end_date", "columns", "granularity"])
def test_required_parameters(asim: Simulator, aapi: Api, missing: str) -> None:
    assert_bad(aapi.get(campaigns_path(asim), **campaign_query(asim, **{missing: None})), missing)


@pytest.mark.parametrize(
    ("suffix", "param"),
    [("/campaigns/analytics", "campaign_ids"), ("/ad_groups/analytics", "ad_group_ids")],
)
def test_ids_are_required(asim: Simulator, aapi: Api, suffix: str, param: str) -> None:
    query = campaign_query(asim, campaign_ids=None)
    assert_bad(aapi.get(f"/ad_accounts/{account_of(asim)}{suffix}", **query), param)


def test_ads_need_ad_ids_or_campaign_and_pin_ids(asim: Simulator, aapi: Api) -> None:
    account = account_of(asim)
    path = f"/ad_accounts/{account}/ads/analytics"
    query = campaign_query(asim, campaign_ids=None)
    assert_bad(aapi.get(path, **query), "ad_ids")
    ads = asim.dataset.children("ads", "ad_account_id", account)[:5]
    by_pins = aapi.get(
        path,
        **query,
        campaign_ids=",".join(a["campaign_id"] for a in ads),
        pin_ids=",".join(a["pin_id"] for a in ads),
    )
    assert by_pins.status_code == 200
    wanted = {a["id"] for a in ads}
    by_ids = list(aapi.get(path, **query, ad_ids=",".join(wanted)).json())
    assert {r["AD_ID"] for r in by_pins.json()} >= {r["AD_ID"] for r in by_ids}


def test_id_limits(asim: Simulator, aapi: Api) -> None:
    path = campaigns_path(asim)
    campaign = ids_of(asim, "campaigns", account_of(asim))[0]
    assert aapi.get(path, **campaign_query(asim, campaign_ids=[campaign] * 250)).status_code == 200
    assert_bad(aapi.get(path, **campaign_query(asim, campaign_ids=[campaign] * 251)), "250")
    ad = ids_of(asim, "ads", account_of(asim))[0]
    ads_path = f"/ad_accounts/{account_of(asim)}/ads/analytics"
    query = campaign_query(asim, campaign_ids=campaign)
    assert_bad(aapi.get(ads_path, **query, pin_ids=[ad] * 101), "100")
    assert_bad(aapi.get(path, **campaign_query(asim, campaign_ids="12a")), "campaign_ids")


def test_ids_must_belong_to_the_ad_account(asim: Simulator, aapi: Api) -> None:
    other = asim.dataset.ad_accounts[1]["id"]
    foreign = ids_of(asim, "campaigns", other)[0]
    own = ids_of(asim, "campaigns", account_of(asim))[0]
    response = aapi.get(campaigns_path(asim), **campaign_query(asim, campaign_ids=[own, foreign]))
    assert_bad(response, foreign, "not found")
    assert own not in response.json()["message"]
    unknown = aapi.get("/ad_accounts/999999999999/campaigns/analytics", **campaign_query(asim))
    assert unknown.status_code == 404 and unknown.json()["code"] == 2


def test_columns_comma_joined_or_repeated_and_checked_against_the_enum(
    asim: Simulator, aapi: Api
) -> None:
    path = campaigns_path(asim)
    joined = aapi.get(path, **campaign_query(asim))
    repeated = aapi.get(path, **campaign_query(asim, columns=METRICS))
    assert joined.status_code == 200 and joined.json() == repeated.json()
    assert_bad(aapi.get(path, **campaign_query(asim, columns="SPEND_IN_DOLLAR,NOPE")), "NOPE")
    # CAMPAIGN_STATUS exists only in reports (ReportingColumnAsync).
    assert "CAMPAIGN_STATUS" in ASYNC_COLUMNS and "CAMPAIGN_STATUS" not in SYNC_COLUMNS
    assert_bad(aapi.get(path, **campaign_query(asim, columns="CAMPAIGN_STATUS")), "CAMPAIGN_STATUS")
    assert_bad(aapi.get(path, **campaign_query(asim, granularity="DAILY")), "granularity")


def test_every_sync_column_is_accepted_and_typed_by_its_name(asim: Simulator, aapi: Api) -> None:
    account = account_of(asim)
    ads = ids_of(asim, "ads", account, ("ACTIVE",))
    response = aapi.get(
        f"/ad_accounts/{account}/ads/analytics",
        start_date=days_ago(6),
        end_date=days_ago(0),
        granularity="DAY",
        columns=",".join(SYNC_COLUMNS),
        ad_ids=",".join(ads),
    )
    assert response.status_code == 200, response.text
    seen: set[str] = set()
    for row in response.json():
        for name, value in row.items():
            if name in ("AD_ID", "DATE"):
                continue
            seen.add(name)
            assert type(value) is column_type(name), (name, value)
    assert len(seen) > 100
    assert {"CAMPAIGN_NAME", "AD_GROUP_ENTITY_STATUS", "PIN_ID", "SPEND_IN_MICRO_DOLLAR"} <= seen
    assert column_type("SPEND_IN_MICRO_DOLLAR") is int and column_type("SPEND_IN_DOLLAR") is float
    assert column_type("CTR") is float and column_type("TOTAL_CONVERSIONS") is int
    assert column_type("CAMPAIGN_NAME") is str and column_type("CAMPAIGN_ID") is str


def test_columns_without_data_are_omitted(asim: Simulator, aapi: Api) -> None:
    never = ["PROMO_NAME", "ORDER_LINE_NAME", "CAMPAIGN_BRAND_LABEL", "ORDER_LINE_ID"]
    response = aapi.get(campaigns_path(asim), **campaign_query(asim, columns=METRICS + never))
    assert response.status_code == 200, response.text
    rows = response.json()
    assert rows and not any(name in row for row in rows for name in never)
    with_view = [r for r in rows if "TOTAL_VIEW_CHECKOUT" in r]
    assert with_view and len(with_view) < len(rows)  # zero on some days: then absent
    assert all(r["TOTAL_VIEW_CHECKOUT"] > 0 for r in with_view)
    # A row whose requested columns are all empty is not returned at all.
    only_empty = aapi.get(campaigns_path(asim), **campaign_query(asim, columns=never))
    assert only_empty.status_code == 200 and only_empty.json() == []


def _conversions(api: Api, sim: Simulator, **settings: Any) -> dict[str, int]:
    response = api.get(campaigns_path(sim), **campaign_query(sim, **settings))
    assert response.status_code == 200, response.text
    totals: dict[str, int] = defaultdict(int)
    for row in response.json():
        for name in ("TOTAL_CONVERSIONS", "TOTAL_CLICK_CHECKOUT", "TOTAL_VIEW_CHECKOUT"):
            totals[name] += row.get(name, 0)
        totals["IMPRESSION_1"] += row["IMPRESSION_1"]
    return totals


def test_attribution_windows_change_conversions_and_zero_is_valid(
    asim: Simulator, aapi: Api
) -> None:
    default = _conversions(aapi, asim)
    explicit = _conversions(
        aapi, asim, click_window_days=30, engagement_window_days=30, view_window_days=1
    )
    assert explicit == default
    no_view = _conversions(aapi, asim, view_window_days=0)
    assert default["TOTAL_VIEW_CHECKOUT"] > 0 and no_view["TOTAL_VIEW_CHECKOUT"] == 0
    assert no_view["TOTAL_CONVERSIONS"] < default["TOTAL_CONVERSIONS"]
    clicks = [
        _conversions(aapi, asim, click_window_days=w)["TOTAL_CLICK_CHECKOUT"]
        for w in (0, 1, 7, 30, 60)
    ]
    assert clicks[0] == 0 and clicks == sorted(clicks) and clicks[1] < clicks[-1]
    nothing = _conversions(
        aapi, asim, click_window_days=0, engagement_window_days=0, view_window_days=0
    )
    assert nothing["TOTAL_CONVERSIONS"] == 0
    assert nothing["IMPRESSION_1"] == default["IMPRESSION_1"]  # delivery does not change
    at_conversion = _conversions(aapi, asim, conversion_report_time="TIME_OF_CONVERSION")
    assert at_conversion["TOTAL_CONVERSIONS"] != default["TOTAL_CONVERSIONS"]
    assert at_conversion["IMPRESSION_1"] == default["IMPRESSION_1"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("click_window_days", "2"),
        ("click_window_days", "-1"),
        ("engagement_window_days", "90"),
        ("view_window_days", "one"),
        ("view_window_days", "1.0"),
        ("conversion_report_time", "AD_EVENT"),
    ],
)
def test_invalid_attribution_is_a_400(asim: Simulator, aapi: Api, name: str, value: str) -> None:
    assert_bad(aapi.get(campaigns_path(asim), **campaign_query(asim, **{name: value})), name)


def test_same_seed_same_numbers_other_seed_other_numbers(asim: Simulator, aapi: Api) -> None:
    first = aapi.get(campaigns_path(asim), **campaign_query(asim)).json()
    assert aapi.get(campaigns_path(asim), **campaign_query(asim)).json() == first
    with Simulator(seed=1, scale=1.0, clock=Clock()) as twin:
        assert Api(twin).get(campaigns_path(twin), **campaign_query(twin)).json() == first
    with Simulator(seed=2, scale=1.0, clock=Clock()) as other:
        assert Api(other).get(campaigns_path(other), **campaign_query(other)).json() != first


def test_metrics_are_internally_consistent(asim: Simulator, aapi: Api) -> None:
    rows = aapi.get(campaigns_path(asim), **campaign_query(asim)).json()
    assert rows
    for row in rows:
        assert row["SPEND_IN_DOLLAR"] == row["SPEND_IN_MICRO_DOLLAR"] / 1e6
        assert 0 < row.get("CLICKTHROUGH_1", 0) <= row["IMPRESSION_1"]
        assert row.get("OUTBOUND_CLICK_1", 0) <= row["CLICKTHROUGH_1"] <= row["ENGAGEMENT_1"]
        assert row["TOTAL_IMPRESSION"] == row["IMPRESSION_1"] + row.get("IMPRESSION_2", 0)
        assert row["CTR"] == row["CLICKTHROUGH_1"] / row["IMPRESSION_1"]
        assert row["CPC_IN_MICRO_DOLLAR"] == round(
            row["SPEND_IN_MICRO_DOLLAR"] / row["CLICKTHROUGH_1"]
        )
        parts = [row.get(f"TOTAL_{a}_CHECKOUT", 0) for a in ("CLICK", "ENGAGEMENT", "VIEW")]
        assert row.get("TOTAL_CHECKOUT", 0) == sum(parts)
        assert row.get("TOTAL_CONVERSIONS", 0) >= row.get("TOTAL_CHECKOUT", 0)


def test_entities_deliver_only_while_they_run(asim: Simulator, clock: Clock) -> None:
    analytics = asim.analytics
    account = account_of(asim)
    drafts = ids_of(asim, "campaigns", account, ("DRAFT", "DELETED_DRAFT"))
    assert drafts
    assert (
        analytics.rows(
            "CAMPAIGN",
            drafts,
            days_ago(89),
            days_ago(0),
            granularity="DAY",
            columns=["IMPRESSION_1"],
        )
        == []
    )
    campaign = next(
        c for c in asim.dataset.campaigns if c["status"] == "ACTIVE" and c["end_time"] is None
    )
    created = datetime.fromtimestamp(campaign["created_time"], tz=UTC).date()
    clock.now = datetime(created.year, created.month, created.day, tzinfo=UTC).timestamp()
    clock.advance(10 * 86_400)
    rows = analytics.rows(
        "CAMPAIGN",
        [campaign["id"]],
        created - timedelta(days=20),
        created + timedelta(days=10),
        granularity="DAY",
        columns=["IMPRESSION_1"],
    )
    assert rows and min(r["DATE"] for r in rows) >= created.isoformat()
    ended = next(c for c in asim.dataset.campaigns if c["status"] == "ACTIVE" and c["end_time"])
    end = datetime.fromtimestamp(ended["end_time"], tz=UTC).date()
    rows = analytics.rows(
        "CAMPAIGN",
        [ended["id"]],
        end - timedelta(days=30),
        end + timedelta(days=30),
        granularity="DAY",
        columns=["IMPRESSION_1"],
    )
    assert rows and max(r["DATE"] for r in rows) <= end.isoformat()
