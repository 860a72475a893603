"""Analytics streams against the simulator: rows, batching, attribution, lookback, reports."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter

import pytest
import time_machine
from conftest import sim_config
from singer_run import parse_messages, run_cli, run_tap

from tap_pinterest.simulator import Faults, Simulator
from tap_pinterest.tap import TapPinterest

ADS_STREAMS = {
    "ad_account_analytics": ("ADVERTISER", "ad_accounts", "ad_account_id", "/analytics"),
    "campaign_analytics": ("CAMPAIGN", "campaigns", "campaign_id", "/campaigns/analytics"),
    "ad_group_analytics": ("AD_GROUP", "ad_groups", "ad_group_id", "/ad_groups/analytics"),
    "ad_analytics": ("PIN_PROMOTION", "ads", "ad_id", "/ads/analytics"),
}
COLUMNS = ["SPEND_IN_MICRO_DOLLAR", "IMPRESSION_1", "CLICKTHROUGH_1", "TOTAL_CONVERSIONS", "CTR"]
ACCOUNT = "/v5/ad_accounts/{ad_account_id}"


FROZEN = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module", autouse=True)
def frozen_clock():
    """Dates matter here: the tap and the simulator share one fixed (ticking) clock."""
    with time_machine.travel(FROZEN, tick=True):
        yield


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def config(sim: Simulator, **extra) -> dict:
    return sim_config(sim, analytics_columns=COLUMNS, **extra)


def expected(sim: Simulator, stream: str, start: dt.date, end: dt.date, **attribution) -> dict:
    level, entity, _key, _ = ADS_STREAMS[stream]
    out = {}
    for account in sim.dataset.ad_accounts:
        ids = (
            [account["id"]]
            if entity == "ad_accounts"
            else [r["id"] for r in sim.dataset.get(entity) if r["ad_account_id"] == account["id"]]
        )
        rows = sim.analytics.rows(
            level, ids, start, end, granularity="DAY", columns=COLUMNS, **attribution
        )
        for row in rows:
            out[(str(row[level_id(level)]), row["DATE"])] = row
    return out


def level_id(level: str) -> str:
    return {"ADVERTISER": "AD_ACCOUNT_ID", "PIN_PROMOTION": "AD_ID"}.get(level, f"{level}_ID")


@pytest.fixture(scope="module")
def synced(request):
    sim = request.getfixturevalue("shared_sim")
    sim.request_log.reset()
    streams = ["campaigns", "ad_groups", "ads", *ADS_STREAMS]
    return sim, run_tap(config(sim), streams=streams), sim.request_log


@pytest.mark.parametrize("stream", sorted(ADS_STREAMS))
def test_rows_match_the_api_with_lower_case_columns(synced, stream: str) -> None:
    sim, result, _ = synced
    _, _, key, _ = ADS_STREAMS[stream]
    want = expected(sim, stream, today() - dt.timedelta(days=89), today())
    got = {(r[key], r["date"]): r for r in result.records[stream]}
    assert set(got) == set(want)
    assert want, "the simulator delivered nothing to compare"
    for ident, row in want.items():
        record = got[ident]
        for column in COLUMNS:
            assert record[column.lower()] == row.get(column), (stream, ident, column)
        assert record["ad_account_id"]


def test_calls_are_id_batches_times_windows(synced) -> None:
    sim, _, log = synced
    for stream, (_, entity, _, suffix) in ADS_STREAMS.items():
        if entity == "ad_accounts":
            continue
        per_account = Counter(r["ad_account_id"] for r in sim.dataset.get(entity))
        want = sum(math.ceil(per_account[a["id"]] / 250) for a in sim.dataset.ad_accounts)
        assert log.count(ACCOUNT + suffix) == want, stream
    assert log.count(ACCOUNT + "/analytics") == len(sim.dataset.ad_accounts)


def test_every_request_carries_attribution_and_250_ids_at_most(synced) -> None:
    _, _, log = synced
    entries = [e for e in log.entries() if e.route.endswith("analytics")]
    assert entries
    for entry in entries:
        assert entry.query["click_window_days"] == ["30"]
        assert entry.query["view_window_days"] == ["1"]
        assert entry.query["granularity"] == ["DAY"]
        for name in ("campaign_ids", "ad_group_ids", "ad_ids"):
            if name in entry.query:
                assert len(entry.query[name][0].split(",")) <= 250


def test_state_has_one_date_bookmark_per_account(synced) -> None:
    sim, result, _ = synced
    partitions = result.final_state["bookmarks"]["campaign_analytics"]["partitions"]
    assert sorted(p["context"]["ad_account_id"] for p in partitions) == sorted(
        a["id"] for a in sim.dataset.ad_accounts
    )
    for partition in partitions:
        assert partition["replication_key"] == "date"
        assert dt.date.fromisoformat(partition["replication_key_value"]) <= today()


def test_windows_and_id_batches_keep_one_bookmark_per_account(sim: Simulator) -> None:
    """Each request's dates and ids ride on the context; the state stays keyed by account."""
    start = today() - dt.timedelta(days=7)
    result = run_tap(
        config(sim, granularity="HOUR", start_date=start.isoformat()),
        streams=[*ADS_STREAMS, "pin_analytics"],
    )
    accounts = sorted(a["id"] for a in sim.dataset.ad_accounts)
    # HOUR reads 3 days a request, so every account takes several windows; pins go 100 a call.
    assert sim.request_log.count(ACCOUNT + "/campaigns/analytics") == 3 * len(accounts)
    assert sim.request_log.count("/v5/pins/analytics") == math.ceil(len(sim.dataset.pins) / 100)
    assert result.records["campaign_analytics"]
    assert result.records["pin_analytics"]
    for state in result.states:
        for stream in ADS_STREAMS:
            partitions = state["bookmarks"].get(stream, {}).get("partitions", [])
            contexts = sorted(p["context"]["ad_account_id"] for p in partitions)
            assert contexts == sorted(set(contexts)), (stream, contexts)
            assert all(list(p["context"]) == ["ad_account_id"] for p in partitions), stream
        assert "partitions" not in state["bookmarks"].get("pin_analytics", {})
    final = result.final_state["bookmarks"]
    for stream in ADS_STREAMS:
        assert (
            sorted(p["context"]["ad_account_id"] for p in final[stream]["partitions"]) == accounts
        )
    assert final["pin_analytics"]["replication_key_value"]


def test_attribution_zero_is_really_sent(sim: Simulator) -> None:
    start = today() - dt.timedelta(days=20)
    default = run_tap(config(sim, start_date=start.isoformat()), streams=["ad_account_analytics"])
    zero = run_tap(
        config(
            sim,
            start_date=start.isoformat(),
            click_window_days=0,
            view_window_days=0,
            engagement_window_days=0,
        ),
        streams=["ad_account_analytics"],
    )
    last = [e for e in sim.request_log.entries() if e.route.endswith("/analytics")][-1]
    assert last.query["click_window_days"] == ["0"]
    assert last.query["view_window_days"] == ["0"]

    def conversions(result):
        return sum(r["total_conversions"] or 0 for r in result.records["ad_account_analytics"])

    assert conversions(zero) < conversions(default)
    want = expected(
        sim,
        "ad_account_analytics",
        start,
        today(),
        click_window_days=0,
        view_window_days=0,
        engagement_window_days=0,
    )
    got = {
        (r["ad_account_id"], r["date"]): r["total_conversions"]
        for r in zero.records["ad_account_analytics"]
    }
    assert got == {k: v.get("TOTAL_CONVERSIONS") for k, v in want.items()}


def test_lookback_rereads_restated_days_and_state_resumes(sim: Simulator) -> None:
    start = today() - dt.timedelta(days=40)
    first = run_tap(config(sim, start_date=start.isoformat()), streams=["campaign_analytics"])
    restated_day = today() - dt.timedelta(days=10)
    sim.analytics.restate(restated_day)
    sim.request_log.reset()
    second = run_tap(
        config(sim, start_date=start.isoformat(), lookback_days=15),
        state=first.final_state,
        streams=["campaign_analytics"],
    )
    queries = [
        e.query for e in sim.request_log.entries() if e.route.endswith("/campaigns/analytics")
    ]
    bookmark = max(r["date"] for r in first.records["campaign_analytics"])
    assert {q["start_date"][0] for q in queries} == {
        (dt.date.fromisoformat(bookmark) - dt.timedelta(days=15)).isoformat()
    }
    before = {(r["campaign_id"], r["date"]): r for r in first.records["campaign_analytics"]}
    after = {(r["campaign_id"], r["date"]): r for r in second.records["campaign_analytics"]}
    changed = {
        k
        for k in after
        if k in before and after[k]["total_conversions"] != before[k]["total_conversions"]
    }
    assert changed
    assert {date for _, date in changed} == {restated_day.isoformat()}


def test_end_date_bounds_the_run(sim: Simulator) -> None:
    end = today() - dt.timedelta(days=5)
    result = run_tap(
        config(sim, start_date=(end - dt.timedelta(days=10)).isoformat(), end_date=end.isoformat()),
        streams=["ad_account_analytics"],
    )
    dates = {r["date"] for r in result.records["ad_account_analytics"]}
    assert dates
    assert max(dates) <= end.isoformat()


def test_hour_granularity_is_split_and_clamped(sim: Simulator, caplog) -> None:
    start = today() - dt.timedelta(days=20)
    result = run_tap(
        config(sim, granularity="HOUR", start_date=start.isoformat()),
        streams=["ad_account_analytics"],
    )
    queries = [e.query for e in sim.request_log.entries() if e.route.endswith("/analytics")]
    for query in queries:
        days = (
            dt.date.fromisoformat(query["end_date"][0])
            - dt.date.fromisoformat(query["start_date"][0])
        ).days
        assert days <= 2
        assert query["start_date"][0] >= (today() - dt.timedelta(days=7)).isoformat()
    # 8 days in windows of at most 3 days: 3 windows, one call each per account.
    assert len(queries) == 3 * len(sim.dataset.ad_accounts)
    rows = result.records["ad_account_analytics"]
    assert rows
    assert all(len(r["date"]) == 19 and r["date"][10] == "T" for r in rows)
    assert len({r["date"] for r in rows}) > 24  # hours, not days
    assert any("not available" in r.getMessage() for r in caplog.records)
    assert not [e for e in sim.request_log.entries() if e.status and e.status >= 400]


def test_week_granularity_rows_are_keyed_by_whole_weeks(sim: Simulator) -> None:
    start = today() - dt.timedelta(days=60)
    result = run_tap(
        config(sim, granularity="WEEK", start_date=start.isoformat()),
        streams=["campaign_analytics"],
    )
    rows = result.records["campaign_analytics"]
    assert rows
    assert {dt.date.fromisoformat(r["date"]).weekday() for r in rows} == {0}
    keys = [(r["campaign_id"], r["date"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert not [e for e in sim.request_log.entries() if e.status and e.status >= 400]


def test_deep_history_comes_from_reports_into_the_same_stream(sim: Simulator) -> None:
    start = today() - dt.timedelta(days=200)
    result = run_tap(
        config(sim, start_date=start.isoformat(), report_poll_interval_seconds=0.01),
        streams=["campaign_analytics"],
    )
    counts = sim.request_log.counts()
    assert counts[("POST", ACCOUNT + "/reports")] == len(sim.dataset.ad_accounts)
    rows = {(r["campaign_id"], r["date"]): r for r in result.records["campaign_analytics"]}
    want = expected(sim, "campaign_analytics", start, today())
    assert set(rows) == set(want)
    old = [k for k in rows if k[1] < (today() - dt.timedelta(days=89)).isoformat()]
    assert old
    for ident in old:
        for column in COLUMNS:
            assert rows[ident][column.lower()] == want[ident].get(column)
            assert type(rows[ident][column.lower()]) is type(want[ident].get(column))


def test_failed_reports_are_retried_then_fail_loudly(sim: Simulator) -> None:
    start = (today() - dt.timedelta(days=120)).isoformat()
    sim.reports.fail_next(status="FAILED", count=1)
    result = run_tap(
        config(sim, start_date=start, report_poll_interval_seconds=0.01),
        streams=["ad_account_analytics"],
    )
    assert result.records["ad_account_analytics"]
    sim.reports.fail_next(status="EXPIRED", count=10)
    with pytest.raises(Exception, match="failed 2 times"):
        run_tap(
            config(sim, start_date=start, report_poll_interval_seconds=0.01, report_max_attempts=2),
            streams=["ad_account_analytics"],
        )


def test_pacing_under_the_simulators_budget_sees_no_429() -> None:
    faults = Faults(rate_limits={"ads_analytics": (10, 2.0)})
    with Simulator(seed=13, scale=1, faults=faults) as sim:
        start = (today() - dt.timedelta(days=10)).isoformat()
        result = run_tap(
            config(sim, start_date=start, requests_per_minute={"ads_analytics": 300}),
            streams=[*ADS_STREAMS],
        )
        statuses = [e.status for e in sim.request_log.entries() if e.route.endswith("analytics")]
        assert len(statuses) > 10
        assert set(statuses) == {200}
        assert result.records["campaign_analytics"]


def test_a_budget_far_over_the_servers_paces_itself_by_the_headers() -> None:
    """The budget lets every call through at once; the X-RateLimit headers slow it down."""
    faults = Faults(rate_limits={"ads_analytics": (10, 2.0)})
    with Simulator(seed=13, scale=1, faults=faults) as sim:
        # HOUR: 3 windows x 4 streams x 3 accounts = 36 calls, far past a burst of 10.
        start = (today() - dt.timedelta(days=7)).isoformat()
        run_tap(
            config(
                sim,
                granularity="HOUR",
                start_date=start,
                requests_per_minute={"ads_analytics": 100000},
                max_concurrency=8,
                rate_limit_max_wait_seconds=30,
            ),
            streams=[*ADS_STREAMS],
        )
        statuses = [e.status for e in sim.request_log.entries() if e.route.endswith("analytics")]
        assert len(statuses) >= 36
        assert set(statuses) == {200}


def test_organic_streams(sim: Simulator) -> None:
    start = today() - dt.timedelta(days=10)
    result = run_tap(
        sim_config(sim, start_date=start.isoformat()),
        streams=["user_account_analytics", "pin_analytics"],
    )
    user = result.records["user_account_analytics"]
    assert user
    assert {r["date"] for r in user} <= {
        (start + dt.timedelta(days=i)).isoformat() for i in range(11)
    }
    assert "impression" in user[0]
    pins = result.records["pin_analytics"]
    assert pins
    assert {r["pin_id"] for r in pins} <= {p["id"] for p in sim.dataset.pins}
    calls = sim.request_log.count("/v5/pins/analytics")
    assert calls == math.ceil(len(sim.dataset.pins) / 100)


def test_an_interrupted_run_resumes_from_the_last_bookmark_emitted(
    sim: Simulator, tmp_path
) -> None:
    accounts = [a["id"] for a in sim.dataset.ad_accounts]
    start = today() - dt.timedelta(days=40)
    sim.faults.script(
        ACCOUNT + "/analytics",
        status=500,
        body={"code": 0, "message": "down"},
        times=None,
        path_args={"ad_account_id": accounts[1]},
    )
    cfg = config(sim, start_date=start.isoformat(), max_retries=0)
    catalog = catalog_file(sim, tmp_path)
    failed = run_cli(cfg, tmp_path, "--catalog", catalog, clock=dt.datetime.now(dt.UTC))
    assert failed.returncode != 0
    states = parse_messages(failed.stdout).states
    assert states
    partitions = states[-1]["bookmarks"]["ad_account_analytics"]["partitions"]
    done = {p["context"]["ad_account_id"]: p.get("replication_key_value") for p in partitions}
    assert done.get(accounts[0])
    assert not done.get(accounts[1])

    sim.faults.clear_scripts()
    sim.request_log.reset()
    run_tap(cfg, state=states[-1], streams=["ad_account_analytics"])
    starts = {
        e.path.split("/")[3]: e.query["start_date"][0]
        for e in sim.request_log.entries()
        if e.route == ACCOUNT + "/analytics"
    }
    lookback = dt.date.fromisoformat(done[accounts[0]]) - dt.timedelta(days=30)
    assert starts[accounts[0]] == lookback.isoformat()
    assert starts[accounts[1]] == start.isoformat()


def catalog_file(sim: Simulator, tmp_path) -> str:
    catalog = TapPinterest(config=sim_config(sim)).catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] == "ad_account_analytics"
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog))
    return str(path)
