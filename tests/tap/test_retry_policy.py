"""RetryPolicy: waits from X-RateLimit-Reset within a cap, bounded retries, loud failure."""

from __future__ import annotations

import pytest
import requests
from singer_sdk.exceptions import RetriableAPIError

from tap_pinterest.errors import (
    ClientError,
    RateLimitCapExceededError,
    RateLimitedError,
    RetriesExhaustedError,
    RetryPolicy,
    TokenRejectedError,
    classify,
)


def _response(status: int, body: bytes = b"", headers: dict | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers.update(headers or {})
    response.url = "https://api.pinterest.com/v5/ad_accounts/1/campaigns?bookmark=abc"
    response.request = requests.Request("GET", response.url).prepare()
    return response


def _rate_limited(reset: str | None) -> RateLimitedError:
    headers = {"X-RateLimit-Reset": reset} if reset is not None else {}
    error = classify(
        "campaigns", "ads_read", _response(429, b'{"code": 8, "message": "slow"}', headers)
    )
    assert isinstance(error, RateLimitedError)
    return error


def _start(policy: RetryPolicy):
    waits = policy.waits()
    assert waits.send(None) is None
    return waits


def test_429_waits_as_long_as_the_reset_header_says() -> None:
    waits = _start(RetryPolicy("campaigns", max_rate_limit_wait=100, max_retries=3))
    assert waits.send(_rate_limited("7")) == 7
    assert waits.send(_rate_limited("30")) == 30


def test_429_without_header_backs_off_exponentially() -> None:
    waits = _start(RetryPolicy("campaigns", max_rate_limit_wait=100, max_retries=3))
    assert [waits.send(_rate_limited(None)) for _ in range(4)] == [1, 2, 4, 8]


def test_429_past_the_cap_fails_naming_stream_and_category() -> None:
    waits = _start(RetryPolicy("campaigns", max_rate_limit_wait=10, max_retries=3))
    assert waits.send(_rate_limited("6")) == 6
    with pytest.raises(RateLimitCapExceededError) as caught:
        waits.send(_rate_limited("6"))
    message = str(caught.value)
    assert "stream 'campaigns'" in message
    assert "'ads_read'" in message
    assert "Pinterest code 8" in message
    assert "bookmark=abc" not in message


def test_server_errors_retry_a_bounded_number_of_times() -> None:
    waits = _start(RetryPolicy("boards", max_rate_limit_wait=10, max_retries=2))
    error = classify("boards", "org_read", _response(503, b'{"code": 0, "message": "busy"}'))
    assert isinstance(error, RetriableAPIError)
    assert waits.send(error) == 1
    assert waits.send(error) == 2
    with pytest.raises(RetriesExhaustedError, match="busy") as caught:
        waits.send(error)
    assert str(caught.value) == (
        "stream 'boards': GET /v5/ad_accounts/1/campaigns returned HTTP 503 (Pinterest code 0): "
        "busy -- still failing after 3 attempts"
    )


def test_token_rejection_retries_at_once() -> None:
    waits = _start(RetryPolicy("boards", max_rate_limit_wait=10, max_retries=0))
    assert waits.send(TokenRejectedError("401")) == 0


def test_client_errors_are_fatal_with_pinterest_code() -> None:
    error = classify(
        "boards", "org_read", _response(400, b'{"code": 1, "message": "bad page_size"}')
    )
    assert isinstance(error, ClientError)
    assert error.status == 400
    assert error.code == 1
    assert "bad page_size" in str(error)
    assert "/v5/ad_accounts/1/campaigns" in str(error)


def test_non_json_error_bodies_are_reported_not_dropped() -> None:
    error = classify("boards", "org_read", _response(502, b"<html>Bad gateway</html>"))
    assert isinstance(error, RetriableAPIError)
    assert "Bad gateway" in str(error)


def test_success_is_not_an_error() -> None:
    assert classify("boards", "org_read", _response(200, b'{"items": []}')) is None


def test_connection_errors_fail_naming_the_cause_and_the_fix() -> None:
    waits = _start(RetryPolicy("boards", max_rate_limit_wait=10, max_retries=1))
    error = requests.exceptions.ConnectionError(ConnectionRefusedError(111, "refused"))
    error.request = requests.Request("GET", "http://127.0.0.1:9/v5/boards?bookmark=b").prepare()
    assert waits.send(error) == 1
    with pytest.raises(RetriesExhaustedError) as caught:
        waits.send(error)
    assert str(caught.value) == (
        "stream 'boards': GET /v5/boards: 127.0.0.1:9 refused the connection -- still failing "
        "after 2 attempts; check api_url, and that the server it names is running"
    )


@pytest.mark.parametrize(("status", "hint"), [(403, "read scope"), (404, "must end in /v5")])
def test_403_and_404_name_the_likely_fix(status: int, hint: str) -> None:
    body = b'{"code": 29, "message": "Not permitted."}'
    error = classify("boards", "org_read", _response(status, body))
    assert isinstance(error, ClientError)
    assert f"HTTP {status} (Pinterest code 29): Not permitted. -- " in str(error)
    assert hint in str(error)
