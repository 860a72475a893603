"""The request log and the /_sim admin routes."""

from __future__ import annotations

import threading

import requests

from tap_pinterest.simulator import Simulator

from .conftest import Api


def test_counts_are_keyed_by_method_and_route_template(sim: Simulator, api: Api) -> None:
    boards = [b["id"] for b in sim.dataset.boards[:3]]
    for board in boards:
        api.get(f"/boards/{board}/pins", page_size=5)
    api.get("/user_account")
    counts = sim.request_log.counts()
    assert counts == {("GET", "/v5/boards/{board_id}/pins"): 3, ("GET", "/v5/user_account"): 1}
    assert sim.request_log.count("/v5/boards/{board_id}/pins") == 3
    entry = sim.request_log.entries()[0]
    assert entry.method == "GET"
    assert entry.path == f"/v5/boards/{boards[0]}/pins"
    assert entry.route == "/v5/boards/{board_id}/pins"
    assert entry.query == {"page_size": ["5"]}
    assert entry.status == 200


def test_query_lists_are_kept_as_lists(sim: Simulator, api: Api) -> None:
    account = sim.dataset.ad_accounts[0]["id"]
    api.get(f"/ad_accounts/{account}/campaigns", entity_statuses=["ACTIVE", "PAUSED"])
    assert sim.request_log.entries()[0].query == {"entity_statuses": ["ACTIVE", "PAUSED"]}


def test_reset_and_thread_safety(sim: Simulator) -> None:
    def worker() -> None:
        client = Api(sim)
        for _ in range(20):
            client.get("/user_account")
        client.close()

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sim.request_log.counts() == {("GET", "/v5/user_account"): 100}
    sim.request_log.reset()
    assert sim.request_log.counts() == {} and sim.request_log.total() == 0


def test_admin_routes(sim: Simulator, api: Api) -> None:
    api.get("/boards")
    log = requests.get(sim.url + "/_sim/requests", timeout=5).json()
    assert log == {
        "total": 1,
        "counts": [{"method": "GET", "route": "/v5/boards", "count": 1}],
        "statuses": {"200": 1},
    }
    with_entries = requests.get(sim.url + "/_sim/requests?entries=true", timeout=5).json()
    assert with_entries["entries"][0]["status"] == 200
    assert requests.post(sim.url + "/_sim/requests/reset", timeout=5).json() == {"ok": True}
    assert sim.request_log.total() == 0
    counts = requests.get(sim.url + "/_sim/dataset/counts", timeout=5).json()
    assert counts == sim.dataset.counts()
    mutated = requests.post(
        sim.url + "/_sim/mutate", timeout=5, json={"entity": "campaigns", "count": 5}
    ).json()
    assert len(mutated["ids"]) == 5
    bad = requests.post(sim.url + "/_sim/mutate", timeout=5, json={"entity": "pins", "count": 1})
    assert bad.status_code == 400 and bad.json()["code"] == 1
    creds = requests.get(sim.url + "/_sim/credentials", timeout=5).json()
    assert creds["refresh_token"] == sim.refresh_token
    assert requests.get(sim.url + "/_sim/nope", timeout=5).status_code == 404
    assert sim.request_log.total() == 0  # admin calls are not logged
