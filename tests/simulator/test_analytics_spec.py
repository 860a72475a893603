"""The analytics and report routes against the OpenAPI spec: enums, bodies, errors."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tap_pinterest.simulator import ROUTES, Faults, Route, Simulator
from tap_pinterest.simulator.analytics.columns_catalog import (
    ASYNC_COLUMNS,
    PIN_METRIC_TYPES,
    SYNC_COLUMNS,
    USER_ACCOUNT_METRIC_TYPES,
)

from .conftest import Api, Clock, SpecValidator, days_ago

BY_NAME = {r.name: r for r in ROUTES}
ADS = [
    ("ad_account_analytics", "/analytics", None, "ad_accounts"),
    ("campaign_analytics", "/campaigns/analytics", "campaign_ids", "campaigns"),
    ("ad_group_analytics", "/ad_groups/analytics", "ad_group_ids", "ad_groups"),
    ("ad_analytics", "/ads/analytics", "ad_ids", "ads"),
]


@pytest.fixture(scope="module")
def frozen_sim() -> Any:
    with Simulator(seed=3, scale=1.0, clock=Clock()) as simulator:
        yield simulator


def _param(spec: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = spec["components"]["parameters"][name]
    return found


def test_column_and_metric_lists_match_the_spec(openapi_spec: dict[str, Any]) -> None:
    columns = _param(openapi_spec, "query_columns")["schema"]["items"]["enum"]
    assert list(SYNC_COLUMNS) == columns
    assert set(ASYNC_COLUMNS) == set(
        openapi_spec["components"]["schemas"]["ReportingColumnAsync"]["enum"]
    )
    assert len(ASYNC_COLUMNS) == len(set(ASYNC_COLUMNS))
    metric_types = _param(openapi_spec, "query_metric_types")["schema"]["items"]["enum"]
    assert list(USER_ACCOUNT_METRIC_TYPES) == metric_types
    pins = openapi_spec["paths"]["/pins/analytics"]["get"]["parameters"]
    one_of = next(p for p in pins if p.get("name") == "metric_types")["schema"]["items"]["oneOf"]
    assert set(PIN_METRIC_TYPES) == {m for option in one_of for m in option["enum"]}


@pytest.mark.parametrize(("name", "suffix", "param", "collection"), ADS, ids=[a[0] for a in ADS])
@pytest.mark.parametrize("granularity", ["TOTAL", "DAY", "HOUR", "WEEK", "MONTH"])
def test_ads_analytics_responses_match_the_spec(
    frozen_sim: Simulator,
    spec_validator: SpecValidator,
    name: str,
    suffix: str,
    *,
    param: str | None,
    collection: str,
    granularity: str,
) -> None:
    account = frozen_sim.dataset.ad_accounts[0]["id"]
    query: dict[str, Any] = {
        "start_date": days_ago(2 if granularity == "HOUR" else 60),
        "end_date": days_ago(0),
        "granularity": granularity,
        "columns": ",".join(SYNC_COLUMNS),
    }
    if param:
        records = frozen_sim.dataset.children(collection, "ad_account_id", account)
        query[param] = ",".join(r["id"] for r in records[:250])
    response = Api(frozen_sim).get(f"/ad_accounts/{account}{suffix}", **query)
    assert response.status_code == 200, response.text
    assert response.json()
    assert spec_validator.errors(BY_NAME[name], 200, response.json()) == []


def test_hour_rows_keep_date_a_date(spec_validator: SpecValidator) -> None:
    schema = "/components/schemas/CampaignsAnalyticsResponse"
    assert spec_validator.schema_errors(schema, [{"CAMPAIGN_ID": "1", "DATE": "2026-11-20"}]) == []
    assert spec_validator.schema_errors(
        schema, [{"CAMPAIGN_ID": "1", "DATE": "2026-11-20 13:00:00"}]
    )


def test_organic_responses_match_the_spec(
    frozen_sim: Simulator, spec_validator: SpecValidator
) -> None:
    api = Api(frozen_sim)
    user = api.get("/user_account/analytics", start_date=days_ago(30), end_date=days_ago(0))
    assert spec_validator.errors(BY_NAME["user_account_analytics"], 200, user.json()) == []
    pins = [p["id"] for p in frozen_sim.dataset.pins[:100]]
    bulk = api.get(
        "/pins/analytics",
        pin_ids=",".join(pins),
        start_date=days_ago(30),
        end_date=days_ago(0),
        metric_types=",".join(PIN_METRIC_TYPES),
    )
    assert bulk.status_code == 200
    assert spec_validator.errors(BY_NAME["pin_analytics"], 200, bulk.json()) == []


def _report_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "start_date": days_ago(40),
        "end_date": days_ago(0),
        "granularity": "DAY",
        "level": "PIN_PROMOTION",
        "columns": list(ASYNC_COLUMNS),
        "click_window_days": 0,
        "report_format": "JSON",
    }
    body.update(overrides)
    return body


def test_report_requests_and_answers_match_the_spec(spec_validator: SpecValidator) -> None:
    create, get = BY_NAME["create_report"], BY_NAME["get_report"]
    request_schema = "/components/schemas/AdsAnalyticsCreateAsyncRequest"
    with Simulator(seed=3, scale=0.5, clock=Clock()) as sim:
        api = Api(sim)
        path = f"/ad_accounts/{sim.dataset.ad_accounts[0]['id']}/reports"
        sim.reports.fail_next("FAILED")
        sim.reports.fail_next("EXPIRED")
        sim.reports.fail_next("CANCELLED")
        seen: set[str] = set()
        for body in (_report_body(),) * 4 + (_report_body(report_format="CSV"),):
            assert spec_validator.schema_errors(request_schema, body) == []
            created = api.post(path, body)
            assert created.status_code == 200, created.text
            assert spec_validator.errors(create, 200, created.json()) == []
            for _ in range(4):
                polled = api.get(path, token=created.json()["token"])
                assert spec_validator.errors(get, 200, polled.json()) == []
                seen.add(polled.json()["report_status"])
        unknown = api.get(path, token="nope").json()
        assert spec_validator.errors(get, 200, unknown) == []
        seen.add(unknown["report_status"])
        downloaded = requests.get(polled.json()["url"], timeout=10)
        assert downloaded.status_code == 200 and downloaded.text.startswith("AD_ID,DATE,")
    assert seen == {"IN_PROGRESS", "FINISHED", "FAILED", "EXPIRED", "CANCELLED", "DOES_NOT_EXIST"}


ERRORS: list[tuple[str, str, dict[str, Any], int]] = [
    ("ad_account_analytics", "/ad_accounts/{account}/analytics", {"granularity": "DAY"}, 400),
    ("campaign_analytics", "/ad_accounts/{account}/campaigns/analytics", {}, 400),
    ("ad_group_analytics", "/ad_accounts/999/ad_groups/analytics", {}, 404),
    ("ad_analytics", "/ad_accounts/{account}/ads/analytics", {"click_window_days": 5}, 400),
    ("user_account_analytics", "/user_account/analytics", {"split_field": "X"}, 400),
    ("pin_analytics", "/pins/analytics", {"pin_ids": "1", "metric_types": "SAVE"}, 404),
    ("get_report", "/ad_accounts/{account}/reports", {}, 400),
]


@pytest.mark.parametrize(("name", "path", "params", "status"), ERRORS, ids=[e[0] for e in ERRORS])
def test_error_bodies_match_the_spec(
    frozen_sim: Simulator,
    spec_validator: SpecValidator,
    name: str,
    path: str,
    *,
    params: dict[str, Any],
    status: int,
) -> None:
    path = path.replace("{account}", frozen_sim.dataset.ad_accounts[0]["id"])
    query = {"start_date": days_ago(3), "end_date": days_ago(0), **params}
    response = Api(frozen_sim).get(path, **query)
    assert response.status_code == status, response.text
    assert spec_validator.errors(BY_NAME[name], status, response.json()) == []
    assert spec_validator.error_body_errors(response.json()) == []


def test_report_creation_errors_and_429_match_the_spec(spec_validator: SpecValidator) -> None:
    route: Route = BY_NAME["create_report"]
    faults = Faults(rate_limits={"ads_analytics": (1, 60)})
    with Simulator(seed=3, scale=0.3, faults=faults, clock=Clock()) as sim:
        api = Api(sim)
        path = f"/ad_accounts/{sim.dataset.ad_accounts[0]['id']}/reports"
        bad = api.post(path, _report_body(level="KEYWORD"))
        assert bad.status_code == 400
        limited = api.post(path, _report_body())
        assert limited.status_code == 429
    for response in (bad, limited):
        assert spec_validator.errors(route, response.status_code, response.json()) == []
        assert spec_validator.error_body_errors(response.json()) == []
