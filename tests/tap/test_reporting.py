"""What a run reports: expected failures in one line, bugs with their traceback, and
honest dry-run metrics."""

from __future__ import annotations

import logging

import pytest
import requests
from singer_sdk import metrics
from singer_sdk.exceptions import (
    AbortedSyncFailedException,
    AbortedSyncPausedException,
    FatalAPIError,
    MaxRecordsLimitException,
)

from tap_pinterest.reporting import (
    RunFailedError,
    SyncTimer,
    failures_in_one_line,
    one_line,
)

LOGGER = logging.getLogger("tap-pinterest-test")


def _aborted(kind: type[Exception], reason: Exception) -> Exception:
    try:
        raise kind("aborted") from reason
    except kind as exc:
        return exc


def test_an_api_error_becomes_one_line_with_its_traceback_at_debug(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(RunFailedError) as caught, failures_in_one_line(LOGGER):
        raise FatalAPIError("stream 'boards': GET /v5/boards returned HTTP 403\n-- a hint")
    assert caught.value.message == "stream 'boards': GET /v5/boards returned HTTP 403 -- a hint"
    assert caught.value.exit_code == 1
    debug = [r for r in caplog.records if r.levelno == logging.DEBUG and r.exc_info]
    assert len(debug) == 1


def test_a_connection_error_without_retries_is_one_line_too() -> None:
    request = requests.Request("GET", "https://host.invalid/v5/x?token=t0k3n").prepare()
    error = requests.exceptions.ConnectionError(ConnectionRefusedError(111, "refused"))
    error.request = request
    with pytest.raises(RunFailedError) as caught, failures_in_one_line(LOGGER):
        raise error
    assert caught.value.message.startswith("GET /v5/x: host.invalid refused the connection -- ")
    assert "t0k3n" not in caught.value.message


@pytest.mark.parametrize("bug", [KeyError("a"), TypeError("b"), RuntimeError("c")])
def test_an_unexpected_exception_passes_through_unchanged(bug: Exception) -> None:
    assert one_line(bug) is None
    with pytest.raises(type(bug)) as caught, failures_in_one_line(LOGGER):
        raise bug
    assert caught.value is bug


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (None, "succeeded"),
        (_aborted(AbortedSyncPausedException, MaxRecordsLimitException("1")), "succeeded"),
        (_aborted(AbortedSyncFailedException, MaxRecordsLimitException("1")), "succeeded"),
        (_aborted(AbortedSyncFailedException, RuntimeError("killed")), "failed"),
        (FatalAPIError("HTTP 500"), "failed"),
    ],
)
def test_the_sync_timer_counts_the_dry_run_limit_as_success(error, status: str) -> None:
    timer = SyncTimer(metrics.Metric.SYNC_DURATION, {metrics.Tag.STREAM: "boards"})
    timer.__enter__()
    timer.__exit__(type(error) if error else None, error, None)
    assert timer.tags[metrics.Tag.STATUS] == status
