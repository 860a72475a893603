"""Asynchronous reports: lifecycle, files, downloads, expiry, faults and validation."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
import requests

from tap_pinterest.simulator import Simulator, column_type
from tap_pinterest.simulator.analytics.reports import DOWNLOAD_ROUTE

from .conftest import Api, Clock, days_ago

REPORTS = "/v5/ad_accounts/{ad_account_id}/reports"
COLUMNS = [
    "CAMPAIGN_NAME",
    "SPEND_IN_MICRO_DOLLAR",
    "SPEND_IN_DOLLAR",
    "IMPRESSION_1",
    "CTR",
    "TOTAL_CONVERSIONS",
    "TOTAL_VIEW_CHECKOUT",
    "CHECKOUT_ROAS",
]


def _account(sim: Simulator) -> str:
    return str(sim.dataset.ad_accounts[0]["id"])


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "start_date": days_ago(30),
        "end_date": days_ago(0),
        "granularity": "DAY",
        "level": "CAMPAIGN",
        "columns": COLUMNS,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def _create(api: Api, sim: Simulator, **overrides: Any) -> str:
    response = api.post(f"/ad_accounts/{_account(sim)}/reports", _body(**overrides))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["report_status"] == "IN_PROGRESS" and body["message"] is None
    return str(body["token"])


def _poll(api: Api, sim: Simulator, token: str) -> dict[str, Any]:
    response = api.get(f"/ad_accounts/{_account(sim)}/reports", token=token)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _finish(api: Api, sim: Simulator, token: str) -> dict[str, Any]:
    for _ in range(10):
        status = _poll(api, sim, token)
        if status["report_status"] != "IN_PROGRESS":
            return status
    raise AssertionError("report never finished")


def test_lifecycle_and_download(asim: Simulator, aapi: Api) -> None:
    token = _create(aapi, asim)
    first, second = _poll(aapi, asim, token), _poll(aapi, asim, token)
    assert first == second == {"report_status": "IN_PROGRESS", "url": None, "size": None}
    finished = _poll(aapi, asim, token)
    assert finished["report_status"] == "FINISHED"
    url = finished["url"]
    assert url.startswith(f"{asim.url}/_sim/report-files/") and ".json?" in url
    download = requests.get(url, timeout=10)  # no Authorization header
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith("application/json")
    assert finished["size"] == len(download.content)
    report = download.json()
    campaigns = [
        c["id"] for c in asim.dataset.children("campaigns", "ad_account_id", _account(asim))
    ]
    assert report == asim.analytics.report(
        "CAMPAIGN", campaigns, days_ago(30), days_ago(0), granularity="DAY", columns=COLUMNS
    )
    assert set(report) < set(campaigns)  # drafts never delivered: no key
    for campaign, rows in report.items():
        assert rows and all(r["CAMPAIGN_ID"] == campaign for r in rows)


def test_report_rows_equal_the_synchronous_rows(asim: Simulator, aapi: Api) -> None:
    account = _account(asim)
    campaigns = [c["id"] for c in asim.dataset.children("campaigns", "ad_account_id", account)]
    settings = {"click_window_days": 7, "engagement_window_days": 0, "view_window_days": 0}
    token = _create(aapi, asim, **settings, conversion_report_time="TIME_OF_CONVERSION")
    report = requests.get(_finish(aapi, asim, token)["url"], timeout=10).json()
    sync = aapi.get(
        f"/ad_accounts/{account}/campaigns/analytics",
        start_date=days_ago(30),
        end_date=days_ago(0),
        granularity="DAY",
        columns=",".join(COLUMNS),
        campaign_ids=",".join(campaigns),
        conversion_report_time="TIME_OF_CONVERSION",
        **settings,
    )
    assert sync.status_code == 200
    expected: dict[str, list[dict[str, Any]]] = {}
    for row in sync.json():
        expected.setdefault(row["CAMPAIGN_ID"], []).append(row)
    assert report == expected
    assert not any("TOTAL_VIEW_CHECKOUT" in r for rows in report.values() for r in rows)


@pytest.mark.parametrize(
    ("level", "id_column", "ids"),
    [
        ("ADVERTISER", "AD_ACCOUNT_ID", None),
        ("AD_GROUP", "AD_GROUP_ID", "ad_groups"),
        ("PIN_PROMOTION", "AD_ID", "ads"),
    ],
)
def test_levels_are_keyed_by_their_entity(
    asim: Simulator, aapi: Api, level: str, id_column: str, ids: str | None
) -> None:
    token = _create(aapi, asim, level=level, columns=["IMPRESSION_1"], granularity="TOTAL")
    report = requests.get(_finish(aapi, asim, token)["url"], timeout=10).json()
    account = _account(asim)
    if ids is None:
        assert list(report) == [account]
    else:
        owned = {r["id"] for r in asim.dataset.children(ids, "ad_account_id", account)}
        assert report and set(report) <= owned
    for key, rows in report.items():
        assert len(rows) == 1 and rows[0][id_column] == key and "DATE" not in rows[0]


def test_csv_reports_are_zero_filled(asim: Simulator, aapi: Api) -> None:
    token = _create(aapi, asim, report_format="CSV")
    finished = _finish(aapi, asim, token)
    assert ".csv?" in finished["url"]
    download = requests.get(finished["url"], timeout=10)
    assert download.headers["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(download.text)))
    assert table[0] == ["CAMPAIGN_ID", "DATE", *COLUMNS]
    json_token = _create(aapi, asim)
    json_rows = [
        row
        for rows in requests.get(_finish(aapi, asim, json_token)["url"], timeout=10).json().values()
        for row in rows
    ]
    assert len(table) - 1 == len(json_rows)
    zero_filled = 0
    for line, row in zip(table[1:], json_rows, strict=True):
        for name, text in zip(table[0], line, strict=True):
            if name in row:
                assert text == str(row[name])
            else:
                zero_filled += 1
                assert text == ("0" if column_type(name) in (int, float) else "")
    assert zero_filled > 0


def test_hourly_report_with_hours(asim: Simulator, aapi: Api) -> None:
    token = _create(
        aapi,
        asim,
        granularity="HOUR",
        start_date=days_ago(2),
        end_date=days_ago(1),
        start_hour=20,
        end_hour=3,
        columns=["IMPRESSION_1", "TOTAL_CONVERSIONS"],
    )
    report = requests.get(_finish(aapi, asim, token)["url"], timeout=10).json()
    slots = {(r["DATE"], r["HOUR"]) for rows in report.values() for r in rows}
    allowed = {(days_ago(2), h) for h in range(20, 24)} | {(days_ago(1), h) for h in range(3)}
    assert slots and slots <= allowed
    assert not any("TOTAL_CONVERSIONS" in r for rows in report.values() for r in rows)


def test_poll_delay_is_configurable() -> None:
    with Simulator(seed=1, scale=0.5, clock=Clock(), report_poll_delay=0) as sim:
        api = Api(sim)
        assert _poll(api, sim, _create(api, sim))["report_status"] == "FINISHED"
        sim.reports.poll_delay = 4
        token = _create(api, sim)
        assert [_poll(api, sim, token)["report_status"] for _ in range(5)] == [
            "IN_PROGRESS"
        ] * 4 + ["FINISHED"]


def test_url_expires_after_300_seconds_of_simulator_clock(
    asim: Simulator, aapi: Api, clock: Clock
) -> None:
    finished = _finish(aapi, asim, _create(aapi, asim))
    clock.advance(299)
    assert requests.get(finished["url"], timeout=10).status_code == 200
    clock.advance(1)
    expired = requests.get(finished["url"], timeout=10)
    assert expired.status_code == 403
    assert "<Code>AccessDenied</Code>" in expired.text
    assert "Request has expired" in expired.text
    fresh = _poll(aapi, asim, next(r.token for r in asim.reports.all()))
    assert fresh["report_status"] == "FINISHED" and fresh["url"] != finished["url"]
    assert requests.get(fresh["url"], timeout=10).status_code == 200
    clock.advance(3600)  # the report itself lasts an hour
    assert _poll(aapi, asim, asim.reports.all()[0].token)["report_status"] == "EXPIRED"
    assert requests.get(fresh["url"], timeout=10).status_code == 404


def test_urls_must_keep_their_signature(asim: Simulator, aapi: Api) -> None:
    url = _finish(aapi, asim, _create(aapi, asim))["url"]
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    stripped = urlunsplit(parts._replace(query=""))
    assert requests.get(stripped, timeout=10).status_code == 403
    longer = url.replace(f"X-Amz-Expires={query['X-Amz-Expires'][0]}", "X-Amz-Expires=99999")
    tampered = requests.get(longer, timeout=10)
    assert tampered.status_code == 403 and "SignatureDoesNotMatch" in tampered.text
    missing = requests.get(f"{asim.url}/_sim/report-files/{'0' * 32}.json", timeout=10)
    assert missing.status_code == 404 and "NoSuchKey" in missing.text


@pytest.mark.parametrize("outcome", ["FAILED", "EXPIRED", "CANCELLED"])
def test_injected_outcomes(asim: Simulator, aapi: Api, outcome: str) -> None:
    asim.reports.fail_next(outcome, count=2)
    for _ in range(2):
        token = _create(aapi, asim)
        statuses = [_poll(aapi, asim, token)["report_status"] for _ in range(4)]
        assert statuses == ["IN_PROGRESS", "IN_PROGRESS", outcome, outcome]
    assert _finish(aapi, asim, _create(aapi, asim))["report_status"] == "FINISHED"


def test_a_report_can_stay_in_progress_forever(asim: Simulator, aapi: Api) -> None:
    asim.reports.fail_next("IN_PROGRESS")
    token = _create(aapi, asim)
    assert {_poll(aapi, asim, token)["report_status"] for _ in range(20)} == {"IN_PROGRESS"}
    with pytest.raises(ValueError, match="status"):
        asim.reports.fail_next("DONE")


def test_unknown_tokens_do_not_exist(asim: Simulator, aapi: Api) -> None:
    gone = {"report_status": "DOES_NOT_EXIST", "url": None, "size": None}
    assert _poll(aapi, asim, "no-such-token") == gone
    token = _create(aapi, asim)
    other = asim.dataset.ad_accounts[1]["id"]
    response = aapi.get(f"/ad_accounts/{other}/reports", token=token)
    assert response.json() == gone
    missing = aapi.get(f"/ad_accounts/{_account(asim)}/reports")
    assert missing.status_code == 400 and "token" in missing.json()["message"]


def test_admin_routes(asim: Simulator, aapi: Api) -> None:
    url = f"{asim.url}/_sim/reports"
    settings = {"poll_delay": 0, "fail_next": {"status": "CANCELLED", "count": 1}}
    assert requests.post(url, json=settings, timeout=10).status_code == 200
    assert _poll(aapi, asim, _create(aapi, asim))["report_status"] == "CANCELLED"
    assert _poll(aapi, asim, _create(aapi, asim))["report_status"] == "FINISHED"
    state = requests.get(url, timeout=10).json()
    assert state["poll_delay"] == 0 and state["url_ttl"] == 300 and len(state["reports"]) == 2
    requests.post(url, json={"fail_next": "FAILED"}, timeout=10)
    cleared = requests.post(url, json={"clear_faults": True}, timeout=10).json()
    assert cleared["pending_outcomes"] == []
    for bad in ({"poll_delay": -1}, {"url_ttl": 0}, {"nope": 1}, {"fail_next": "DONE"}):
        response = requests.post(url, json=bad, timeout=10)
        assert response.status_code == 400, bad


def test_request_log_counts_creates_polls_and_downloads(asim: Simulator, aapi: Api) -> None:
    url = _finish(aapi, asim, _create(aapi, asim))["url"]
    requests.get(url, timeout=10)
    requests.get(url, timeout=10)
    log = asim.request_log
    assert log.count(REPORTS, method="POST") == 1
    assert log.count(REPORTS, method="GET") == 3
    assert log.count(DOWNLOAD_ROUTE) == 2
    entry = log.entries(route=DOWNLOAD_ROUTE)[0]
    assert entry.status == 200 and entry.query["X-Amz-Signature"] == ["REDACTED"]


def test_scripted_faults_reach_downloads(asim: Simulator, aapi: Api) -> None:
    url = _finish(aapi, asim, _create(aapi, asim))["url"]
    asim.faults.script(DOWNLOAD_ROUTE, status=503, times=1)
    assert requests.get(url, timeout=10).status_code == 503
    assert requests.get(url, timeout=10).status_code == 200


def test_filters(asim: Simulator, aapi: Api) -> None:
    account = _account(asim)
    campaigns = list(asim.dataset.children("campaigns", "ad_account_id", account))
    chosen = [c["id"] for c in campaigns[:4]]
    report = requests.get(
        _finish(aapi, asim, _create(aapi, asim, campaign_ids=chosen))["url"], timeout=10
    ).json()
    assert report and set(report) <= set(chosen)
    running = _create(aapi, asim, level="AD_GROUP", campaign_statuses=["RUNNING"])
    groups = requests.get(_finish(aapi, asim, running)["url"], timeout=10).json()
    for group in groups:
        campaign = asim.dataset.by_id(
            "campaigns", asim.dataset.by_id("ad_groups", group)["campaign_id"]
        )
        assert campaign["summary_status"] == "RUNNING"
    spending = _create(
        aapi,
        asim,
        metrics_filters=[{"field": "SPEND_IN_DOLLAR", "operator": "GREATER_THAN", "values": [50]}],
    )
    rows = requests.get(_finish(aapi, asim, spending)["url"], timeout=10).json()
    assert all(r["SPEND_IN_DOLLAR"] > 50 for found in rows.values() for r in found)


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"level": None}, "'level' is required"),
        ({"columns": None}, "'columns' is required"),
        ({"start_date": None}, "'start_date' is required"),
        ({"granularity": "DAILY"}, "granularity"),
        ({"level": "CAMPAIGNS"}, "level"),
        ({"level": "KEYWORD"}, "not simulated"),
        ({"columns": ["SPEND_IN_DOLLAR", "QUIZ_PIN_RESULT_OPEN"]}, "QUIZ_PIN_RESULT_OPEN"),
        ({"columns": "SPEND_IN_DOLLAR"}, "list"),
        ({"report_format": "XLSX"}, "report_format"),
        ({"click_window_days": 3}, "click_window_days"),
        ({"view_window_days": "1"}, "view_window_days"),
        ({"conversion_report_time": "NOW"}, "conversion_report_time"),
        ({"start_date": days_ago(915), "end_date": days_ago(800)}, "914 days"),
        ({"start_date": days_ago(186), "end_date": days_ago(0)}, "covers 187 days"),
        ({"granularity": "HOUR", "start_date": days_ago(9), "end_date": days_ago(8)}, "8 days"),
        ({"granularity": "HOUR", "start_date": days_ago(3)}, "covers 4 days"),
        ({"start_hour": 3}, "hourly"),
        ({"campaign_ids": ["1"] * 501}, "500"),
        ({"campaign_ids": ["12345"]}, "12345"),
        ({"ad_ids": ["12345"]}, "ads"),
        ({"campaign_statuses": ["ACTIVE"]}, "ACTIVE"),
        ({"targeting_types": ["GENDER"]}, "targeting_types"),
        ({"colums": ["SPEND_IN_DOLLAR"]}, "colums"),
    ],
)
def test_invalid_requests(
    asim: Simulator, aapi: Api, overrides: dict[str, Any], problem: str
) -> None:
    response = aapi.post(f"/ad_accounts/{_account(asim)}/reports", _body(**overrides))
    assert response.status_code == 400, response.text
    assert response.json()["code"] == 1
    assert problem in response.json()["message"]


def test_the_widest_reports_are_accepted(asim: Simulator, aapi: Api) -> None:
    _create(aapi, asim, start_date=days_ago(914), end_date=days_ago(729))  # 186 days
    _create(aapi, asim, granularity="HOUR", start_date=days_ago(8), end_date=days_ago(6))
    _create(aapi, asim, level="PIN_PROMOTION", ad_ids=[asim.dataset.ads[0]["id"]] * 500)


def test_bodies_and_query_strings(asim: Simulator, aapi: Api) -> None:
    path = f"/ad_accounts/{_account(asim)}/reports"
    with_query = aapi.post(path, _body(), granularity="DAY")
    assert with_query.status_code == 400 and "query" in with_query.json()["message"]
    not_json = aapi.session.post(asim.base_url + path, data="start_date=x", timeout=10)
    assert not_json.status_code == 400 and not_json.json()["code"] == 1
    unknown_account = aapi.post("/ad_accounts/999999/reports", _body())
    assert unknown_account.status_code == 404 and unknown_account.json()["code"] == 2
