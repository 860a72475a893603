"""The fault matrix: each fault the simulator injects ends the sync with exactly the
clean run's records and final state, or makes the tap exit non-zero with one clear
line naming the stream, the endpoint, the last status or exception and the attempts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tap_pinterest.simulator import Faults, Simulator
from tests.resilience.harness import SCALE, Files, TapRun, records_by_key, run_tap, tap_config

SEED = 5
HTML = "<html><head><title>502 Bad Gateway</title></head><body>cloudfront</body></html>"
RATE_LIMITED = {"code": 8, "message": "This request exceeded a rate limit."}
CAMPAIGN_ANALYTICS = "/v5/ad_accounts/{ad_account_id}/campaigns/analytics"


@dataclass
class Case:
    """One fault: how to set up the simulator, the tap's extra settings, and, for a
    fault that must fail the sync, a pattern its one error line matches."""

    faults: Callable[[Simulator], None] = lambda _sim: None
    settings: dict[str, Any] = field(default_factory=dict)
    simulator: dict[str, Any] = field(default_factory=dict)
    fails: str | None = None
    refresh: bool = False
    #: False for a slow-down: no answer is a fault, the sync must just get through.
    faulty: bool = True


def _scripts(*scripts: dict[str, Any]) -> Callable[[Simulator], None]:
    def apply(sim: Simulator) -> None:
        for script in scripts:
            sim.faults.script(**script)

    return apply


def _set(**settings: Any) -> Callable[[Simulator], None]:
    return lambda sim: sim.faults.update(**settings)


CASES: dict[str, Case] = {
    "server errors (20% 500/503)": Case(_set(error_rate=0.2, seed=3)),
    "dropped connections (10%)": Case(_set(drop_rate=0.1, seed=3)),
    "cut-off bodies": Case(
        _scripts(
            {"route": "/v5/pins", "page": 2, "status": None, "cut_off": True, "times": 2},
            {"route": "/v5/boards", "status": None, "cut_off": True},
            {"route": CAMPAIGN_ANALYTICS, "status": None, "cut_off": True},
        )
    ),
    "HTML pages with status 200": Case(
        _scripts(
            {"route": "/v5/pins", "page": 1, "status": 200, "raw": HTML, "times": 2},
            {"route": "/v5/ad_accounts", "status": 200, "raw": HTML},
            {"route": CAMPAIGN_ANALYTICS, "status": 200, "raw": HTML},
        )
    ),
    "HTML pages with status 502": Case(
        _scripts({"route": "/v5/boards", "status": 502, "raw": HTML})
    ),
    # The tap paces itself by the X-RateLimit headers, so tight budgets draw no 429 now;
    # the sync must still get through them with the clean run's records.
    "tight budgets, paced by the X-RateLimit headers": Case(
        _set(rate_limits={"org_read": "8/1", "ads_read": "8/1", "ads_analytics": "3/1"}),
        faulty=False,
    ),
    "429 storm, X-RateLimit-Reset": Case(
        _scripts(
            {
                "route": "/v5/pins",
                "page": 2,
                "status": 429,
                "body": RATE_LIMITED,
                "headers": {"X-RateLimit-Reset": "1"},
                "times": 2,
            },
            {
                "route": "/v5/ad_accounts/{ad_account_id}/campaigns/analytics",
                "status": 429,
                "body": RATE_LIMITED,
                "headers": {"X-RateLimit-Reset": "1"},
                "times": 3,
            },
        )
    ),
    "429 storm, Retry-After only": Case(
        _scripts(
            {
                "route": "/v5/pins",
                "page": 2,
                "status": 429,
                "body": RATE_LIMITED,
                "headers": {"Retry-After": "1"},
                "times": 2,
            },
            {"route": CAMPAIGN_ANALYTICS, "status": 429, "body": RATE_LIMITED, "times": 3},
        )
    ),
    "token expiry under strict rotation": Case(
        simulator={"token_ttl": 1}, refresh=True, faulty=False
    ),
    "slow responses (40 ms each)": Case(_set(latency_ms=40), faulty=False),
    # -- faults that do not go away: the sync must fail, loudly and in one line
    "429 past rate_limit_max_wait_seconds": Case(
        _scripts(
            {
                "route": "/v5/boards",
                "status": 429,
                "body": RATE_LIMITED,
                "headers": {"X-RateLimit-Reset": "2"},
                "times": None,
            }
        ),
        settings={"rate_limit_max_wait_seconds": 3},
        fails=r"stream 'boards': GET /v5/boards returned HTTP 429 \(Pinterest code 8\): .* "
        r"rate limit of category 'org_read' still in force after 2 attempts .*"
        r"rate_limit_max_wait_seconds=3",
    ),
    "persistent 503": Case(
        _scripts({"route": "/v5/pins", "page": 2, "status": 503, "times": None}),
        settings={"max_retries": 2},
        fails=r"stream 'pins': GET /v5/pins returned HTTP 503 \(Pinterest code 503\): Scripted "
        r"fault: HTTP 503\. -- still failing after 3 attempts$",
    ),
    "persistent HTML page": Case(
        _scripts({"route": "/v5/boards", "status": 200, "raw": HTML, "times": None}),
        settings={"max_retries": 2},
        fails=r"stream 'boards': GET /v5/boards returned HTTP 200: <html>.*502 Bad Gateway.* -- "
        r"the body is not JSON \(an error page of a proxy or CDN\?\) -- still failing after 3 "
        r"attempts$",
    ),
    "persistent cut-off body": Case(
        _scripts({"route": "/v5/boards", "status": None, "cut_off": True, "times": None}),
        settings={"max_retries": 2},
        fails=r"stream 'boards': GET /v5/boards: the connection to 127\.0\.0\.1:\d+ failed "
        r"\(ChunkedEncodingError\) -- still failing after 3 attempts; check api_url and the "
        r"network$",
    ),
    "persistent dropped connection": Case(
        _scripts({"route": "/v5/ad_accounts", "drop": True, "times": None}),
        settings={"max_retries": 2},
        fails=r"stream 'ad_accounts': GET /v5/ad_accounts: the connection to 127\.0\.0\.1:\d+ "
        r"failed \(ConnectionError\) -- still failing after 3 attempts; check api_url",
    ),
    "responses slower than request_timeout": Case(
        _set(latency_ms=1500),
        settings={"request_timeout": 1, "max_retries": 1},
        fails=r"stream '\w+': GET /v5/\S+: 127\.0\.0\.1:\d+ sent no response within "
        r"request_timeout -- still failing after 2 attempts; raise request_timeout",
    ),
}


@dataclass
class Outcome:
    run: TapRun
    records: dict[str, dict[str, Any]]
    state: dict[str, Any]
    requests: int
    #: Answers that were faults: scripted, dropped or an error status.
    faults: int
    #: Access tokens issued (each refresh rotates the refresh token).
    refreshes: int


def _sync(case: Case, folder: Path) -> Outcome:
    folder.mkdir()
    with Simulator(seed=SEED, scale=SCALE, faults=Faults(seed=SEED), **case.simulator) as sim:
        case.faults(sim)
        config = tap_config(sim, **case.settings)
        if case.refresh:
            del config["access_token"]
            config.update(
                client_id=sim.client_id,
                client_secret=sim.client_secret,
                refresh_token=sim.refresh_token,
                token_cache_path=str(folder / "token.json"),
            )
        run = run_tap(Files(folder, config))
        statuses = [e.status for e in sim.request_log.entries()]
        scripted = sum(script.hits for script in sim.faults.scripts)
        refreshes = len(sim.request_log.entries(route="/v5/oauth/token"))
    faults = scripted + sum(1 for s in statuses if s is None or s >= 400)
    return Outcome(
        run,
        records_by_key(run.messages),
        run.messages.final_state,
        len(statuses),
        faults,
        refreshes,
    )


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    outcome = _sync(Case(), tmp_path_factory.mktemp("clean") / "run")
    assert outcome.run.returncode == 0, outcome.run.stderr[-3000:]
    assert outcome.faults == 0
    assert len(outcome.records["pins"]) > 250  # two pages
    yield outcome


@pytest.mark.parametrize("name", list(CASES))
def test_fault(name: str, clean: Outcome, tmp_path: Path) -> None:
    case = CASES[name]
    outcome = _sync(case, tmp_path / "run")
    run = outcome.run
    assert "Traceback" not in run.stderr
    if case.fails is None:
        assert run.returncode == 0, run.stderr[-3000:]
        assert outcome.faults > 0 or not case.faulty, "the fault never happened"
        assert outcome.refreshes > 1 or not case.refresh, "the token never expired"
        assert outcome.records == clean.records
        assert outcome.state == clean.state
        return
    assert run.returncode != 0
    assert len(run.error_lines) == 1, run.stderr[-3000:]
    line = run.error_lines[0].removeprefix("Error: ")
    assert re.search(case.fails, line), line
    for secret in ("bookmark", "page_size", "access_token", "Bearer", "client_secret"):
        assert secret not in line
    assert not re.search(r"\?\w+=", line), "a query string in the error"
