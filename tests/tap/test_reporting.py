"""What a run reports: expected failures in one line, bugs with their traceback, honest
dry-run metrics, and the SDK's unsorted-stream warning once per run."""

from __future__ import annotations

import logging

import pytest
import requests
from conftest import sim_config
from singer_run import run_tap
from singer_sdk import metrics
from singer_sdk.exceptions import (
    AbortedSyncFailedException,
    AbortedSyncPausedException,
    FatalAPIError,
    MaxRecordsLimitException,
)

from tap_pinterest.config import ConfigError
from tap_pinterest.reporting import (
    RunFailedError,
    SyncTimer,
    failures_in_one_line,
    one_line,
    start_run,
)
from tap_pinterest.simulator import Simulator
from tap_pinterest.tap import TapPinterest

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


def test_the_unsorted_warning_comes_once_per_run(shared_sim: Simulator, caplog) -> None:
    caplog.set_level(logging.WARNING)
    streams = ["campaigns", "ad_groups", "ads"]
    tap = TapPinterest(config=sim_config(shared_sim))
    # True of these streams: Pinterest lists them unsorted, one bookmark per ad account.
    assert not any(tap.streams[name].is_sorted for name in streams)
    for _ in range(2):
        caplog.clear()
        result = run_tap(sim_config(shared_sim), streams=streams)
        assert all(result.records[name] for name in streams)
        unsorted = [r for r in caplog.records if "assumed to be unsorted" in r.getMessage()]
        assert len(unsorted) == 1


def test_the_once_filter_lets_other_sdk_warnings_through(caplog) -> None:
    start_run(TapPinterest.logger)
    start_run(TapPinterest.logger)  # installed once however many taps a process creates
    sdk = logging.getLogger("singer_sdk")
    assert len([f for f in sdk.filters if type(f).__name__ == "_OncePerRun"]) == 1
    caplog.set_level(logging.WARNING)
    for _ in range(3):
        sdk.warning("Stream is assumed to be unsorted, progress is not resumable")
        sdk.warning("New replication value is null")
    messages = [r.getMessage() for r in caplog.records]
    assert messages.count("New replication value is null") == 3
    assert len(messages) == 4


def test_the_sdks_settings_summary_is_left_to_the_tap_s_own_error(caplog) -> None:
    """The SDK's "Config validation failed" names no setting; the tap's error does."""
    caplog.set_level(logging.WARNING)
    with pytest.raises(ConfigError, match="lookback_days"):
        TapPinterest(config={"access_token": "x", "lookback_days": -1})
    messages = [r.getMessage() for r in caplog.records]
    assert "Config validation failed" not in messages
    TapPinterest.logger.warning("Another warning")
    assert "Another warning" in [r.getMessage() for r in caplog.records]
