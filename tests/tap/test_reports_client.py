"""ReportClient against a scripted transport: polling, retries, expired URLs, loud failure."""

from __future__ import annotations

import json

import pytest
import requests
import responses

from tap_pinterest.streams.analytics.reports import ReportClient, ReportFailedError, ReportSettings

URL = "https://api.pinterest.com/v5/ad_accounts/1/reports"
FILE = "https://files.example/report.json"
ROWS = {"11": [{"CAMPAIGN_ID": "11", "DATE": "2025-01-01", "SPEND_IN_MICRO_DOLLAR": 5}]}


class Transport:
    """Answers the report API from a script of (status, url) per poll."""

    def __init__(self, polls: list[list[str]]) -> None:
        self.polls = polls  # one list of statuses per report attempt
        self.created = 0
        self.requests: list[requests.Request] = []

    def __call__(self, request: requests.Request) -> requests.Response:
        self.requests.append(request)
        response = requests.Response()
        response.status_code = 200
        if request.method == "POST":
            self.created += 1
            body = {"token": f"t{self.created}", "report_status": "IN_PROGRESS"}
        else:
            state = self.polls[self.created - 1].pop(0)
            body = {"report_status": state, "url": FILE if state == "FINISHED" else None}
        response._content = json.dumps(body).encode()
        return response


def _client(transport: Transport, **settings) -> tuple[ReportClient, list[float], list[str]]:
    slept: list[float] = []
    logged: list[str] = []
    client = ReportClient(
        reports_url=URL,
        send=transport,
        settings=ReportSettings(
            **{"poll_interval": 1, "timeout": 100, "max_attempts": 3, **settings}
        ),
        log=logged.append,
        sleep=slept.append,
        clock=lambda: sum(slept),
    )
    return client, slept, logged


@responses.activate
def test_polls_with_backoff_until_finished_then_downloads() -> None:
    responses.get(FILE, json=ROWS)
    transport = Transport([["IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS", "FINISHED"]])
    client, slept, _ = _client(transport)
    assert list(client.rows({"level": "CAMPAIGN"}, "test")) == ROWS["11"]
    assert slept == [1, 2, 4]
    assert transport.requests[0].json == {"level": "CAMPAIGN"}
    assert "Authorization" not in responses.calls[0].request.headers


@responses.activate
@pytest.mark.parametrize("status", ["FAILED", "EXPIRED", "CANCELLED", "DOES_NOT_EXIST"])
def test_a_lost_report_is_requested_again(status: str) -> None:
    responses.get(FILE, json=ROWS)
    transport = Transport([[status], ["FINISHED"]])
    client, _, logged = _client(transport)
    assert list(client.rows({}, "test")) == ROWS["11"]
    assert transport.created == 2
    assert status in logged[0]


@responses.activate
def test_an_expired_download_url_is_fetched_fresh() -> None:
    responses.get(
        FILE, status=403, body="<Error><Code>AccessDenied</Code>Request has expired</Error>"
    )
    responses.get(FILE, json=ROWS)
    transport = Transport([["FINISHED", "FINISHED"]])
    client, _, _ = _client(transport)
    assert list(client.rows({}, "test")) == ROWS["11"]
    assert transport.created == 1


def test_gives_up_loudly_after_the_attempts() -> None:
    transport = Transport([["FAILED"], ["FAILED"], ["FAILED"]])
    client, _, _ = _client(transport, max_attempts=3)
    with pytest.raises(ReportFailedError, match=r"failed 3 times \(status FAILED; status FAILED"):
        list(client.rows({}, "campaign_analytics of ad account 1"))


def test_a_report_that_never_finishes_times_out_and_is_retried() -> None:
    transport = Transport([["IN_PROGRESS"] * 50, ["IN_PROGRESS"] * 50])
    client, _, _ = _client(transport, timeout=10, max_attempts=2)
    with pytest.raises(ReportFailedError, match="not finished after 10s"):
        list(client.rows({}, "x"))
    assert transport.created == 2
