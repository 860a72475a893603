"""The pacer: each rate-limit category under its budget, slowed further by the headers."""

from __future__ import annotations

import pytest
import requests

from tap_pinterest.pacing import Budget, PacedSession, Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _pacer(budgets: dict[str, Budget], clock: Clock, headroom: int = 1) -> Pacer:
    return Pacer(budgets, headroom=headroom, clock=lambda: clock.now, sleep=clock.sleep)


def _starts(pacer: Pacer, clock: Clock, category: str, n: int) -> list[float]:
    starts = []
    for _ in range(n):
        pacer.wait(category)
        starts.append(clock.now)
    return starts


def _response(status: int = 200, **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update({f"X-RateLimit-{k}": v for k, v in headers.items()})
    return response


def test_a_budget_spaces_requests_evenly() -> None:
    clock = Clock()
    pacer = _pacer({"ads_analytics": Budget(120)}, clock)
    assert _starts(pacer, clock, "ads_analytics", 5) == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0])
    pacer.wait("ads_read")  # no budget: not paced
    assert clock.now == pytest.approx(2.0)
    assert pacer.waited == pytest.approx(2.0)


def test_a_burst_budget_is_spent_at_once_then_refills() -> None:
    clock = Clock()
    pacer = _pacer({"ads_read": Budget(3, 60.0, burst=3)}, clock)
    assert _starts(pacer, clock, "ads_read", 4) == pytest.approx([0.0, 0.0, 0.0, 20.0])


def test_low_remaining_calls_space_the_next_ones_over_the_reset() -> None:
    clock = Clock()
    pacer = _pacer({}, clock, headroom=2)
    pacer.observe("org_read", _response(Limit="100", Remaining="50", Reset="5"))
    assert _starts(pacer, clock, "org_read", 2) == [0.0, 0.0]  # plenty left: no pacing
    # 98 used, refilled over 49 s: one call every 0.5 s from now on
    pacer.observe("org_read", _response(Limit="100", Remaining="2", Reset="49"))
    assert _starts(pacer, clock, "org_read", 3) == pytest.approx([0.0, 0.5, 1.0])
    pacer.observe("org_read", _response(Limit="100", Remaining="60", Reset="20"))
    # refilled: no more spacing after the slot the last paced call reserved
    assert _starts(pacer, clock, "org_read", 2) == pytest.approx([1.5, 1.5])


def test_a_429_holds_the_category_until_its_reset() -> None:
    clock = Clock()
    pacer = _pacer({}, clock)
    pacer.observe("ads_read", _response(429, Reset="30"))
    pacer.wait("org_read")
    assert clock.now == 0.0  # other categories go on
    pacer.wait("ads_read")
    assert clock.now == pytest.approx(30.0)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Remaining": "1"}, {"Remaining": "x", "Reset": "5"}, {"Remaining": "1", "Reset": "0"}],
)
def test_missing_or_odd_headers_change_nothing(headers: dict[str, str]) -> None:
    clock = Clock()
    pacer = _pacer({}, clock)
    pacer.observe("org_read", _response(**headers))
    assert _starts(pacer, clock, "org_read", 3) == [0.0, 0.0, 0.0]


def test_the_session_reads_no_proxy_environment_unless_one_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY",
                 "all_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NETRC"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    assert PacedSession(Pacer({}), "org_read").trust_env is False
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert PacedSession(Pacer({}), "org_read").trust_env is True
