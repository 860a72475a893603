"""A vanished entity costs only itself: when an id listed earlier in the run was deleted
before its batch analytics call, the tap bisects the batch, skips only the missing ids
and says how many it skipped in which stream."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tap_pinterest.simulator import Simulator
from tests.resilience.harness import FROZEN, Files, records_by_key, run_tap, tap_config

START = (FROZEN.date() - dt.timedelta(days=2)).isoformat()
PIN_ANALYTICS = "/v5/pins/analytics"
CAMPAIGN_ANALYTICS = "/v5/ad_accounts/{ad_account_id}/campaigns/analytics"


def _sync(tmp_path: Path, sim: Simulator, streams: list[str]) -> tuple[dict, list[str], str]:
    tmp_path.mkdir(exist_ok=True)
    run = run_tap(Files(tmp_path, tap_config(sim, start_date=START), streams=streams))
    assert run.returncode == 0, run.stderr[-3000:]
    skipped = [line.split(" | ")[-1] for line in run.stderr.splitlines() if "skipped" in line]
    return records_by_key(run.messages), skipped, run.stderr


def test_pins_deleted_between_listing_and_analytics_cost_only_themselves(tmp_path: Path) -> None:
    streams = ["pins", "pin_analytics"]
    with Simulator(seed=5, scale=0.5) as sim:
        clean, skipped, _ = _sync(tmp_path / "clean", sim, streams)
        assert not skipped
    pins = list(clean["pins"])
    assert len(pins) == 250  # three batches: 100, 100, 50
    with Simulator(seed=5, scale=0.5) as sim:
        gone = [sim.dataset.pins[7]["id"], sim.dataset.pins[230]["id"]]  # batches 1 and 3
        sim.faults.script(PIN_ANALYTICS, status=None, delete={"pins": gone})
        got, skipped, _ = _sync(tmp_path / "deleted", sim, streams)
        calls = [e.status for e in sim.request_log.entries(route=PIN_ANALYTICS)]
    expected = {k: r for k, r in clean["pin_analytics"].items() if r["pin_id"] not in gone}
    assert len(expected) < len(clean["pin_analytics"])
    assert got["pin_analytics"] == expected
    assert got["pins"] == clean["pins"]  # listed before the deletion
    assert skipped == [
        f"Stream 'pin_analytics': skipped 2 pins id(s) deleted after they were listed "
        f"({', '.join(sorted(gone))}); the analytics of every other id were read"
    ]
    # each missing pin costs one failed call per halving of its batch (at most 1 +
    # ceil(log2(size)): 8 for 100 ids, 7 for 50) and as many good ones, not the batch
    assert 2 <= calls.count(404) <= 8 + 7
    assert len(calls) <= 3 + 2 * (8 + 7)


def test_a_deleted_campaign_costs_only_itself(tmp_path: Path) -> None:
    streams = ["campaigns", "campaign_analytics"]
    with Simulator(seed=5, scale=0.5) as sim:
        clean, _, _ = _sync(tmp_path / "clean", sim, streams)
    with Simulator(seed=5, scale=0.5) as sim:
        gone = sim.dataset.campaigns[1]["id"]
        sim.faults.script(CAMPAIGN_ANALYTICS, status=None, delete={"campaigns": [gone]})
        got, skipped, _ = _sync(tmp_path / "deleted", sim, streams)
        statuses = [e.status for e in sim.request_log.entries(route=CAMPAIGN_ANALYTICS)]
    expected = {k: r for k, r in clean["campaign_analytics"].items() if r["campaign_id"] != gone}
    assert len(expected) < len(clean["campaign_analytics"])
    assert got["campaign_analytics"] == expected
    assert skipped == [
        f"Stream 'campaign_analytics': skipped 1 campaigns id(s) deleted after they were "
        f"listed ({gone}); the analytics of every other id were read"
    ]
    assert 400 in statuses  # the simulator answers as the spec says: 400, "not found"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"code": 1, "message": "Invalid ad account campaign analytics parameters."}),
        (404, {"code": 2, "message": "AdAccount not found."}),
    ],
)
def test_other_errors_of_a_batch_call_still_fail_the_sync(
    tmp_path: Path, status: int, body: dict
) -> None:
    with Simulator(seed=5, scale=0.5) as sim:
        sim.faults.script(CAMPAIGN_ANALYTICS, status=status, body=body, times=None)
        files = Files(
            tmp_path, tap_config(sim, start_date=START), ["campaigns", "campaign_analytics"]
        )
        run = run_tap(files)
        calls = sim.request_log.entries(route=CAMPAIGN_ANALYTICS)
    assert run.returncode != 0
    assert len(calls) == 1  # not bisected
    assert len(run.error_lines) == 1
    assert (
        f"returned HTTP {status} (Pinterest code {body['code']}): {body['message']}"
        in (run.error_lines[0])
    )
