"""Rate-limit budgets of the analytics categories, and the token bucket behind them."""

from __future__ import annotations

import random
import time

from tap_pinterest.simulator import Faults, Simulator

from .conftest import Api, Clock, days_ago


def _analytics(api: Api, sim: Simulator) -> int:
    account = sim.dataset.ad_accounts[0]["id"]
    response = api.get(
        f"/ad_accounts/{account}/analytics",
        start_date=days_ago(3),
        end_date=days_ago(0),
        granularity="DAY",
        columns="SPEND_IN_DOLLAR",
    )
    return response.status_code


def test_ads_analytics_budget_gives_429_code_8_with_reset() -> None:
    faults = Faults(rate_limits={"ads_analytics": (3, 60), "org_analytics": (1, 60)})
    with Simulator(seed=1, scale=0.3, faults=faults, clock=Clock()) as sim:
        api = Api(sim)
        assert [_analytics(api, sim) for _ in range(3)] == [200, 200, 200]
        token_poll = api.get(f"/ad_accounts/{sim.dataset.ad_accounts[0]['id']}/reports", token="x")
        assert token_poll.status_code == 429  # reports share the ads_analytics budget
        body, headers = token_poll.json(), token_poll.headers
        assert body["code"] == 8 and headers["X-RateLimit-Remaining"] == "0"
        assert 1 <= int(headers["X-RateLimit-Reset"]) <= 60
        organic = [
            api.get("/user_account/analytics", start_date=days_ago(2), end_date=days_ago(1))
            for _ in range(2)
        ]
        assert [r.status_code for r in organic] == [200, 429]
        assert api.get("/ad_accounts").status_code == 200  # ads_read has no budget here
        assert sim.request_log.entries()[3].status == 429


def test_bursts_pass_up_to_the_budget_then_wait_for_the_refill() -> None:
    faults = Faults(rate_limits={"ads_analytics": (300, 60)})
    now = [0.0]
    faults.clock = lambda: now[0]
    decisions = [faults.check_rate_limit("ads_analytics") for _ in range(301)]
    assert all(d is not None and d.allowed for d in decisions[:300])
    refused = decisions[300]
    assert refused is not None and not refused.allowed
    assert refused.headers["X-RateLimit-Reset"] == "1"  # one request every 0.2 s
    now[0] += 0.2
    again = faults.check_rate_limit("ads_analytics")
    assert again is not None and again.allowed


def test_a_paced_client_never_sees_a_429_despite_jitter() -> None:
    faults = Faults(rate_limits={"ads_analytics": (300, 60)})
    now = [0.0]
    faults.clock = lambda: now[0]
    jitter = random.Random(7)
    interval = 60 / 300
    # The first request arrives late (a new connection), the others early or late.
    arrivals = [0.05] + [k * interval + jitter.uniform(-0.04, 0.04) for k in range(1, 2000)]
    for arrival in sorted(arrivals):
        now[0] = arrival
        decision = faults.check_rate_limit("ads_analytics")
        assert decision is not None and decision.allowed, arrival


def test_a_paced_http_client_under_a_budget_gets_no_429() -> None:
    faults = Faults(rate_limits={"ads_analytics": (5, 0.5)})
    with Simulator(seed=1, scale=0.3, faults=faults, clock=Clock()) as sim:
        api = Api(sim)
        interval = 0.5 / 5
        start = time.monotonic()
        for k in range(15):
            time.sleep(max(0.0, start + k * interval - time.monotonic()))
            _analytics(api, sim)
        statuses = [e.status for e in sim.request_log.entries()]
        assert statuses == [200] * 15
        burst = [_analytics(api, sim) for _ in range(8)]
        assert 429 in burst
