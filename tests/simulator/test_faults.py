"""Rate-limit budgets, scripted faults, random 5xx, dropped connections, latency."""

from __future__ import annotations

import time

import pytest
import requests

from tap_pinterest.simulator import Faults, Simulator

from .conftest import Api

CAMPAIGNS = "/v5/ad_accounts/{ad_account_id}/campaigns"


def test_rate_limit_budget_gives_429_code_8_with_reset_header() -> None:
    with Simulator(seed=1, scale=0.2, faults=Faults(rate_limits={"ads_read": (3, 30)})) as sim:
        api = Api(sim)
        seen = [api.get("/ad_accounts") for _ in range(4)]
        assert [r.status_code for r in seen] == [200, 200, 200, 429]
        assert [r.headers["X-RateLimit-Remaining"] for r in seen] == ["2", "1", "0", "0"]
        assert all(r.headers["X-RateLimit-Limit"] == "3" for r in seen)
        assert seen[3].json()["code"] == 8
        assert 1 <= int(seen[3].headers["X-RateLimit-Reset"]) <= 30
        # Other categories have their own (here: no) budget.
        boards = api.get("/boards")
        assert boards.status_code == 200 and "X-RateLimit-Limit" not in boards.headers


def test_rate_limit_window_resets() -> None:
    faults = Faults(rate_limits={"org_read": (1, 10)})
    now = [1000.0]
    faults.clock = lambda: now[0]
    with Simulator(seed=1, scale=0.2, faults=faults) as sim:
        api = Api(sim)
        assert api.get("/boards").status_code == 200
        blocked = api.get("/boards")
        assert blocked.status_code == 429 and blocked.headers["X-RateLimit-Reset"] == "10"
        now[0] += 7.5
        assert api.get("/boards").headers["X-RateLimit-Reset"] == "3"
        now[0] += 2.5
        assert api.get("/boards").status_code == 200


def test_scripted_fault_on_page_2(sim: Simulator, api: Api) -> None:
    account = sim.dataset.ad_accounts[0]["id"]
    fault = sim.faults.script(
        CAMPAIGNS,
        page=2,
        status=429,
        body={"code": 8, "message": "slow down"},
        headers={"X-RateLimit-Reset": "1"},
        times=2,
    )
    path = f"/ad_accounts/{account}/campaigns"
    first = api.get(path, page_size=2)
    assert first.status_code == 200
    bookmark = first.json()["bookmark"]
    for _ in range(2):
        response = api.get(path, page_size=2, bookmark=bookmark)
        assert response.status_code == 429
        assert response.json() == {"code": 8, "message": "slow down"}
        assert response.headers["X-RateLimit-Reset"] == "1"
    assert fault.hits == 2 and fault.exhausted
    assert api.get(path, page_size=2, bookmark=bookmark).status_code == 200
    statuses = [e.status for e in sim.request_log.entries(route=CAMPAIGNS)]
    assert statuses == [200, 429, 429, 200]


def test_scripted_fault_forever_first_page_and_path_args(sim: Simulator, api: Api) -> None:
    first, second = (a["id"] for a in sim.dataset.ad_accounts[:2])
    sim.faults.script(CAMPAIGNS, page=1, status=503, times=None, path_args={"ad_account_id": first})
    for _ in range(3):
        response = api.get(f"/ad_accounts/{first}/campaigns")
        assert response.status_code == 503
        assert set(response.json()) == {"code", "message"}
    assert api.get(f"/ad_accounts/{second}/campaigns").status_code == 200
    sim.faults.clear_scripts()
    assert api.get(f"/ad_accounts/{first}/campaigns").status_code == 200


def test_scripted_drop_and_unknown_route(sim: Simulator, api: Api) -> None:
    sim.faults.script("/v5/boards", drop=True)
    with pytest.raises(requests.ConnectionError):
        api.get("/boards")
    assert api.get("/boards").status_code == 200
    with pytest.raises(ValueError, match="unknown route"):
        sim.faults.script("/v5/nope")


def _statuses(rate: float, seed: int, n: int = 60) -> list[int]:
    with Simulator(seed=1, scale=0.1, faults=Faults(error_rate=rate, seed=seed)) as sim:
        api = Api(sim)
        return [api.get("/boards").status_code for _ in range(n)]


def test_error_rate_is_seeded_and_deterministic() -> None:
    first = _statuses(0.3, seed=7)
    assert first == _statuses(0.3, seed=7)
    assert first != _statuses(0.3, seed=8)
    errors = [s for s in first if s != 200]
    assert set(errors) <= {500, 503} and 8 <= len(errors) <= 32
    assert set(_statuses(0.0, seed=7, n=20)) == {200}
    assert set(_statuses(1.0, seed=7, n=20)) <= {500, 503}


def test_error_bodies_are_json(sim: Simulator, api: Api) -> None:
    sim.faults.update(error_rate=1.0)
    response = api.get("/boards")
    assert response.status_code in (500, 503)
    assert set(response.json()) == {"code", "message"}


def test_drop_rate_closes_the_connection_without_a_response() -> None:
    with Simulator(seed=1, scale=0.1, faults=Faults(drop_rate=1.0)) as sim:
        for _ in range(3):  # also on a reused keep-alive connection
            with pytest.raises(requests.ConnectionError):
                requests.get(
                    sim.base_url + "/boards",
                    timeout=5,
                    headers={"Authorization": f"Bearer {sim.access_token}"},
                )
        assert [e.status for e in sim.request_log.entries()] == [None, None, None]
        sim.faults.update(drop_rate=0.0)
        assert Api(sim).get("/boards").status_code == 200


def test_partial_drop_rate_is_deterministic() -> None:
    def outcomes() -> list[bool]:
        with Simulator(seed=1, scale=0.1, faults=Faults(drop_rate=0.5, seed=3)) as sim:
            out = []
            for _ in range(20):
                try:
                    requests.get(sim.base_url + "/boards", timeout=5)
                    out.append(True)
                except requests.ConnectionError:
                    out.append(False)
            return out

    first = outcomes()
    assert first == outcomes()
    assert 3 <= first.count(False) <= 17


def test_latency(sim: Simulator, api: Api) -> None:
    sim.faults.update(latency_ms=150)
    start = time.perf_counter()
    api.get("/user_account")
    assert time.perf_counter() - start >= 0.15


def test_invalid_fault_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        Faults(error_rate=1.5)
    with pytest.raises(ValueError):
        Faults(rate_limits={"nope": (1, 1)})
    faults = Faults()
    with pytest.raises(ValueError):
        faults.update(drop_rate=-0.1)
    assert faults.drop_rate == 0.0


def test_faults_via_admin_endpoint(sim: Simulator, api: Api) -> None:
    url = sim.url + "/_sim/faults"
    body = requests.post(
        url,
        timeout=5,
        json={
            "rate_limits": {"catalogs_read": "1/60"},
            "scripts": [{"route": "/v5/boards", "status": 500, "times": 1}],
        },
    ).json()
    assert body["rate_limits"] == {"catalogs_read": "1/60"}
    assert body["scripts"][0]["route"] == "/v5/boards"
    assert api.get("/boards").status_code == 500
    assert api.get("/catalogs").status_code == 200
    assert api.get("/catalogs").status_code == 429
    bad = requests.post(url, timeout=5, json={"error_rate": 3})
    assert bad.status_code == 400 and bad.json()["code"] == 1
    assert requests.post(url, timeout=5, json={"bogus": 1}).status_code == 400
    cleared = requests.post(url, timeout=5, json={"rate_limits": {}, "clear_scripts": True})
    assert cleared.json()["rate_limits"] == {} and cleared.json()["scripts"] == []
    assert requests.get(url, timeout=5).json()["error_rate"] == 0.0


def test_scripted_html_page_is_served_as_it_is(sim: Simulator, api: Api) -> None:
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    sim.faults.script("/v5/boards", status=200, raw=page)
    response = api.get("/boards")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.text == page
    with pytest.raises(ValueError, match="not both"):
        sim.faults.script("/v5/boards", raw=page, body={"code": 1})


def test_scripted_cut_off_answer_closes_after_half_the_body(sim: Simulator, api: Api) -> None:
    whole = api.get("/boards").content
    sim.faults.script("/v5/boards", status=None, cut_off=True)
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
        api.get("/boards")
    assert api.get("/boards").content == whole
    assert [e.status for e in sim.request_log.entries(route="/v5/boards")] == [200, 200, 200]


def test_scripted_deletion_between_two_calls(sim: Simulator, api: Api) -> None:
    pin = sim.dataset.pins[0]["id"]
    sim.faults.script("/v5/pins/analytics", status=None, delete={"pins": [pin]})
    day = sim.analytics.today().isoformat()
    params = {"pin_ids": pin, "start_date": day, "end_date": day}
    assert api.get(f"/pins/{pin}").status_code == 200
    response = api.get("/pins/analytics", metric_types="IMPRESSION", **params)
    assert response.status_code == 404
    assert response.json() == {"code": 50, "message": f"Pin not found: {pin}."}
    assert api.get(f"/pins/{pin}").status_code == 404


def test_admin_edit_and_delete(sim: Simulator, api: Api) -> None:
    pin, other = (p["id"] for p in sim.dataset.pins[:2])
    before, _ = api.get_all("/pins", page_size=250)
    assert other in {p["id"] for p in before}
    # the body as Pinterest would escape half a surrogate pair
    body = '{"entity": "pins", "id": "' + pin + '", "fields": {"title": "Cut \\ud83d"}}'
    assert requests.post(f"{sim.url}/_sim/edit", data=body, timeout=10).status_code == 200
    assert b'"title":"Cut \\ud83d"' in api.get(f"/pins/{pin}").content
    deleted = requests.post(
        f"{sim.url}/_sim/delete", json={"entity": "pins", "ids": [other, "nope"]}, timeout=10
    )
    assert deleted.json() == {"deleted": [other]}
    items, _ = api.get_all("/pins", page_size=250)
    assert [p["id"] for p in items] == [p["id"] for p in before if p["id"] != other]
    bad = requests.post(f"{sim.url}/_sim/edit", json={"entity": "pins", "id": "x"}, timeout=10)
    assert bad.status_code == 400
