"""Failures end the sync loudly; transient ones are retried; nothing is silently dropped."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import responses
from conftest import expected_records, sim_config
from singer_run import parse_messages, run_cli, run_tap

from tap_pinterest.simulator import Faults, Simulator

RATE_LIMITED = {"code": 8, "message": "You have exceeded your rate limit. Try again later."}


def test_429_on_page_2_that_never_recovers_fails_the_sync(sim: Simulator, tmp_path) -> None:
    assert len(sim.dataset.pins) > 250  # /v5/pins has a page 2
    sim.faults.script(
        "/v5/pins",
        page=2,
        status=429,
        body=RATE_LIMITED,
        headers={"X-RateLimit-Reset": "1"},
        times=None,
    )
    result = run_cli(sim_config(sim, rate_limit_max_wait_seconds=2), tmp_path)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if "rate_limit_max_wait_seconds" in line]
    assert errors, result.stderr[-3000:]
    assert "stream 'pins'" in errors[0]
    assert "'org_read'" in errors[0]
    assert "Pinterest code 8" in errors[0]
    # Page 2 was asked 3 times: once, then after two 1-second waits (the cap is 2 s).
    statuses = [e.status for e in sim.request_log.entries(route="/v5/pins")]
    assert statuses == [200, 429, 429, 429]
    emitted = parse_messages(result.stdout).records["pins"]
    assert 0 < len(emitted) < len(sim.dataset.pins)


def test_a_failed_account_keeps_no_new_bookmark(sim: Simulator, tmp_path) -> None:
    accounts = [a["id"] for a in sim.dataset.ad_accounts]
    sim.faults.script(
        "/v5/ad_accounts/{ad_account_id}/ads",
        status=429,
        body=RATE_LIMITED,
        headers={"X-RateLimit-Reset": "1"},
        times=None,
        path_args={"ad_account_id": accounts[1]},
    )
    result = run_cli(sim_config(sim, rate_limit_max_wait_seconds=0), tmp_path)
    assert result.returncode != 0
    messages = parse_messages(result.stdout)
    bookmarked = set()
    for state in messages.states:
        for partition in state.get("bookmarks", {}).get("ads", {}).get("partitions", []):
            if "replication_key_value" in partition:
                bookmarked.add(partition["context"]["ad_account_id"])
    assert bookmarked == {accounts[0]}


def test_429_within_the_cap_is_waited_out(sim: Simulator) -> None:
    sim.faults.script(
        "/v5/boards", status=429, body=RATE_LIMITED, headers={"X-RateLimit-Reset": "1"}, times=2
    )
    result = run_tap(sim_config(sim, rate_limit_max_wait_seconds=5), streams=["boards"])
    assert len(result.records["boards"]) == len(sim.dataset.boards)
    assert [e.status for e in sim.request_log.entries(route="/v5/boards")] == [429, 429, 200]


def test_a_429_is_waited_out_and_the_sync_completes() -> None:
    with Simulator(seed=4, scale=1) as sim:
        sim.faults.script(
            "/v5/boards/{board_id}/sections",
            status=429,
            body={"code": 8, "message": "rate limited"},
            headers={"X-RateLimit-Reset": "1"},
            times=3,
        )
        result = run_tap(sim_config(sim), streams=["boards", "board_sections"])
        assert len(result.records["board_sections"]) == len(sim.dataset.board_sections)
        assert sim.request_log.statuses()[429] == 3


def test_server_errors_and_dropped_connections_are_retried_without_loss() -> None:
    faults = Faults(error_rate=0.1, drop_rate=0.05, seed=9)
    with Simulator(seed=8, scale=1, faults=faults) as sim:
        result = run_tap(sim_config(sim, retry_base_wait_seconds=0.01, max_retries=8))
        statuses = [e.status for e in sim.request_log.entries()]
        assert any(s is not None and s >= 500 for s in statuses)
        assert None in statuses  # some connections really were dropped
        expected = expected_records(sim.dataset)
        for stream, records in expected.items():
            assert sorted(result.ids(stream)) == sorted(r["id"] for r in records), stream


def test_each_retry_is_logged_once_in_one_short_line(sim: Simulator, caplog) -> None:
    sim.faults.script("/v5/boards", status=503, body={"code": 0, "message": "down"}, times=2)
    caplog.set_level(logging.INFO)
    result = run_tap(sim_config(sim, retry_base_wait_seconds=0.01), streams=["boards"])
    assert len(result.records["boards"]) == len(sim.dataset.boards)
    retries = [r.getMessage() for r in caplog.records if "HTTP 503" in r.getMessage()]
    assert retries == [
        "stream 'boards': GET /v5/boards returned HTTP 503 (Pinterest code 0): down "
        f"-- retry {n} in {wait}s"
        for n, wait in ((1, "0.0"), (2, "0.0"))
    ]
    assert not [r for r in caplog.records if "Backing off" in r.getMessage()]


def test_a_persistent_server_error_fails_after_the_retries(sim: Simulator) -> None:
    sim.faults.script("/v5/boards", status=503, body={"code": 0, "message": "down"}, times=None)
    with pytest.raises(Exception, match=r"still failing after 3 attempts") as caught:
        run_tap(sim_config(sim, retry_base_wait_seconds=0.01, max_retries=2), streams=["boards"])
    assert "HTTP 503" in str(caught.value)
    assert len(sim.request_log.entries(route="/v5/boards")) == 3


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"data": []}, "'items' list"),
        ({"items": [1, 2]}, "'items' list"),
        ("<html>oops</html>", "'items' list"),
        ([{"id": "1"}], "'items' list"),
    ],
)
def test_malformed_pages_are_errors_not_empty_pages(sim: Simulator, body, fragment: str) -> None:
    sim.faults.script("/v5/boards", status=200, body=body, times=1)
    with pytest.raises(Exception, match=fragment):
        run_tap(sim_config(sim), streams=["boards"])


def test_bad_request_names_the_pinterest_code_and_message(sim: Simulator) -> None:
    sim.faults.script(
        "/v5/pins", status=400, body={"code": 1, "message": "Invalid parameters."}, times=1
    )
    with pytest.raises(Exception, match=r"stream 'pins'.*HTTP 400 \(Pinterest code 1\): Invalid"):
        run_tap(sim_config(sim), streams=["pins"])


def test_connection_test_fails_on_a_bad_token(shared_sim: Simulator, tmp_path) -> None:
    result = run_cli({"api_url": shared_sim.base_url, "access_token": "wrong"}, tmp_path, "--test")
    assert result.returncode != 0
    assert "access_token is invalid or expired" in result.stderr


def test_connection_test_prints_no_error_lines(shared_sim: Simulator, tmp_path) -> None:
    result = run_cli(sim_config(shared_sim), tmp_path, "--test")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ERROR" not in result.stderr
    assert "Traceback" not in result.stderr
    # Every stream stops at the dry run's record limit: that is no error, no failure.
    assert "An unhandled error occurred" not in result.stderr
    timers = [line for line in result.stderr.splitlines() if '"metric":"sync_duration"' in line]
    assert len(timers) > 20, result.stderr[-2000:]
    assert all('"status":"succeeded"' in line for line in timers), result.stderr[-2000:]
    assert result.stderr.count("Stream is assumed to be unsorted") <= 1


@responses.activate
def test_a_body_that_is_not_json_is_retried_then_an_error() -> None:
    boards = responses.get(
        "https://api.pinterest.com/v5/boards", body="<html>oops</html>", status=200
    )
    config = {"access_token": "token", "max_retries": 1, "retry_base_wait_seconds": 0.01}
    with pytest.raises(
        Exception,
        match=r"^stream 'boards': GET /v5/boards returned HTTP 200: <html>oops</html> -- the body "
        r"is not JSON \(an error page of a proxy or CDN\?\) -- still failing after 2 attempts$",
    ):
        run_tap(config, streams=["boards"])
    assert boards.call_count == 2


@responses.activate
def test_the_sandbox_skips_what_it_does_not_serve(caplog) -> None:
    sandbox = "https://api-sandbox.pinterest.com/v5"
    account = {"id": "549755885175", "name": "Sandbox", "owner": {"username": "me"}}
    responses.get(f"{sandbox}/ad_accounts", json={"items": [account], "bookmark": None})
    streams = ["ad_accounts", "audiences", "customer_lists", "conversion_tags"]
    result = run_tap({"access_token": "token", "api_url": sandbox}, streams=streams)
    assert result.ids("ad_accounts") == [account["id"]]
    assert [call.request.url.split("?")[0] for call in responses.calls] == [
        f"{sandbox}/ad_accounts"
    ]
    notices = [r.getMessage() for r in caplog.records if "sandbox does not serve" in r.getMessage()]
    assert len(notices) == 3


@responses.activate
def test_the_sandbox_reads_ads_analytics_without_reports(caplog) -> None:
    sandbox = "https://api-sandbox.pinterest.com/v5"
    account = {"id": "549755885175", "name": "Sandbox", "owner": {"username": "me"}}
    responses.get(f"{sandbox}/ad_accounts", json={"items": [account], "bookmark": None})
    campaigns = f"{sandbox}/ad_accounts/{account['id']}/campaigns"
    responses.get(campaigns, json={"items": [{"id": "626"}], "bookmark": None})
    analytics = responses.get(f"{campaigns}/analytics", json=[])
    start = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=200)
    config = {"access_token": "token", "api_url": sandbox, "start_date": start.isoformat()}
    run_tap(config, streams=["campaign_analytics"])
    assert analytics.call_count == 1
    sent = analytics.calls[0].request.params["start_date"]
    assert sent == (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=89)).isoformat()
    assert not [c for c in responses.calls if "/reports" in c.request.url]
    assert any("not available" in r.getMessage() for r in caplog.records)


def test_a_user_without_catalogs_gets_no_catalog_records_not_a_failure(sim: Simulator) -> None:
    body = {"code": 4182, "message": "Catalog not found."}
    for route in ("/v5/catalogs", "/v5/catalogs/feeds", "/v5/catalogs/product_groups"):
        sim.faults.script(route, status=409, body=body, times=None)
    result = run_tap(sim_config(sim), streams=["catalogs", "catalogs_feeds", "boards"])
    assert not result.records.get("catalogs")
    assert not result.records.get("catalogs_feeds")
    assert result.records["boards"]


def test_other_conflicts_still_fail(sim: Simulator) -> None:
    sim.faults.script("/v5/catalogs", status=409, body={"code": 99, "message": "Busy"}, times=None)
    with pytest.raises(Exception, match=r"HTTP 409 \(Pinterest code 99\)"):
        run_tap(sim_config(sim), streams=["catalogs"])
