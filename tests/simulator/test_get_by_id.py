"""The get-by-id routes: ownership, auth, parameters, faults and rate limits as the lists.

Their shapes and error bodies are checked against the spec in test_spec_conformance.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tap_pinterest.simulator import ROUTES, Faults, Simulator

from .conftest import Api, Clock

ADS_ENTITIES = ("campaigns", "ad_groups", "ads", "audiences", "customer_lists", "conversion_tags")
ORG_GETS = {  # business-access gets: entity -> path prefix
    "boards": "/boards",
    "pins": "/pins",
    "catalogs_feeds": "/catalogs/feeds",
    "catalogs_product_groups": "/catalogs/product_groups",
}


@pytest.fixture(scope="module")
def rsim() -> Iterator[Simulator]:
    """A read-only simulator for this module."""
    with Simulator(seed=4, scale=1) as simulator:
        yield simulator


@pytest.fixture
def rapi(rsim: Simulator) -> Iterator[Api]:
    client = Api(rsim)
    yield client
    client.close()


def _other_account(sim: Simulator, account_id: str) -> str:
    return next(a["id"] for a in sim.dataset.ad_accounts if a["id"] != account_id)


@pytest.mark.parametrize("entity", ADS_ENTITIES)
def test_an_ads_record_is_found_only_under_its_own_ad_account(
    rsim: Simulator, rapi: Api, entity: str
) -> None:
    record = rsim.dataset.get(entity)[0]
    own = f"/ad_accounts/{record['ad_account_id']}/{entity}/{record['id']}"
    assert rapi.get(own).json()["id"] == record["id"]
    other = _other_account(rsim, record["ad_account_id"])
    response = rapi.get(f"/ad_accounts/{other}/{entity}/{record['id']}")
    assert response.status_code == 404
    assert response.json()["code"] == 2
    assert response.json()["message"].endswith(" not found.")
    unknown_account = rapi.get(f"/ad_accounts/1/{entity}/{record['id']}")
    assert (unknown_account.status_code, unknown_account.json()) == (
        404,
        {"code": 2, "message": "AdAccount not found."},
    )


def test_an_id_of_another_entity_is_not_found(rsim: Simulator, rapi: Api) -> None:
    ad_group = rsim.dataset.ad_groups[0]
    response = rapi.get(f"/ad_accounts/{ad_group['ad_account_id']}/campaigns/{ad_group['id']}")
    assert response.status_code == 404
    assert rapi.get(f"/pins/{rsim.dataset.boards[0]['id']}").json()["code"] == 50


def test_ads_ids_longer_than_18_digits_are_a_400(rsim: Simulator, rapi: Api) -> None:
    account = rsim.dataset.ad_accounts[0]["id"]
    response = rapi.get(f"/ad_accounts/{account}/ads/{'1' * 19}")
    assert response.status_code == 400
    assert "longer than 18" in response.json()["message"]
    assert rapi.get(f"/pins/{'1' * 19}").status_code == 404  # pin ids have no length limit


@pytest.mark.parametrize("entity", sorted(ORG_GETS))
def test_business_access_ad_account_id_is_checked(rsim: Simulator, rapi: Api, entity: str) -> None:
    path = f"{ORG_GETS[entity]}/{rsim.dataset.get(entity)[0]['id']}"
    account = rsim.dataset.ad_accounts[0]["id"]
    assert rapi.get(path, ad_account_id=account).status_code == 200
    assert rapi.get(path, ad_account_id="12345").json() == {
        "code": 2,
        "message": "AdAccount not found.",
    }
    assert rapi.get(path, ad_account_id="x1").status_code == 400


def test_pin_metrics_is_optional_and_boolean(rsim: Simulator, rapi: Api) -> None:
    pin = rsim.dataset.pins[0]
    assert rapi.get(f"/pins/{pin['id']}").json()["pin_metrics"] is None
    metrics = rapi.get(f"/pins/{pin['id']}", pin_metrics="true").json()["pin_metrics"]
    assert set(metrics) == {"90d", "lifetime_metrics"}
    assert rapi.get(f"/pins/{pin['id']}", pin_metrics="yes").status_code == 400


def test_a_get_sees_a_mutation_at_once(sim: Simulator, api: Api) -> None:
    account = sim.dataset.ad_accounts[0]["id"]
    campaign = sim.dataset.children("campaigns", "ad_account_id", account)[0]
    path = f"/ad_accounts/{account}/campaigns/{campaign['id']}"
    before = api.get(path).json()
    sim.mutate("campaigns", len(sim.dataset.campaigns))
    after = api.get(path).json()
    assert after["name"] != before["name"]
    assert after["updated_time"] > before["updated_time"]


def _same_answer(list_path: str, get_path: str, headers: dict[str, str], sim: Simulator) -> Any:
    answers = [
        requests.get(sim.base_url + path, headers=headers, timeout=10)
        for path in (list_path, get_path)
    ]
    assert answers[0].status_code == answers[1].status_code
    assert answers[0].json() == answers[1].json()
    return answers[1].status_code


def test_auth_is_the_lists(clock: Clock) -> None:
    with Simulator(seed=2, scale=0.2, static_token_ttl=60, clock=clock) as sim:
        board, campaign = sim.dataset.boards[0], sim.dataset.campaigns[0]
        campaigns = f"/ad_accounts/{campaign['ad_account_id']}/campaigns"
        pairs = [
            ("/boards", f"/boards/{board['id']}"),
            (campaigns, f"{campaigns}/{campaign['id']}"),
        ]
        for list_path, get_path in pairs:
            for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
                assert _same_answer(list_path, get_path, headers, sim) == 401
            clock.advance(61)
            bearer = {"Authorization": f"Bearer {sim.access_token}"}
            assert _same_answer(list_path, get_path, bearer, sim) == 401  # expired: 1104
            clock.advance(-61)


def test_rate_limit_budget_is_shared_with_the_lists() -> None:
    faults = Faults(rate_limits={"ads_read": (2, 3600)})
    with Simulator(seed=2, scale=0.2, faults=faults) as sim:
        api = Api(sim)
        campaign = sim.dataset.campaigns[0]
        account = campaign["ad_account_id"]
        assert api.get(f"/ad_accounts/{account}/campaigns").status_code == 200
        assert api.get(f"/ad_accounts/{account}").status_code == 200
        limited = api.get(f"/ad_accounts/{account}/campaigns/{campaign['id']}")
        assert limited.status_code == 429
        assert limited.json()["code"] == 8
        assert int(limited.headers["X-RateLimit-Reset"]) >= 1


def test_get_routes_are_logged_and_open_to_scripted_faults(sim: Simulator, api: Api) -> None:
    template = "/v5/catalogs/feeds/{feed_id}"
    assert template in {r.template for r in ROUTES}
    feeds = sim.dataset.catalogs_feeds
    sim.faults.script(template, status=503, path_args={"feed_id": feeds[0]["id"]})
    assert api.get(f"/catalogs/feeds/{feeds[0]['id']}").status_code == 503
    assert api.get(f"/catalogs/feeds/{feeds[0]['id']}").status_code == 200
    assert api.get(f"/catalogs/feeds/{feeds[1]['id']}").status_code == 200
    entries = sim.request_log.entries(route=template)
    assert [(e.path, e.status) for e in entries] == [
        (f"/v5/catalogs/feeds/{feeds[0]['id']}", 503),
        (f"/v5/catalogs/feeds/{feeds[0]['id']}", 200),
        (f"/v5/catalogs/feeds/{feeds[1]['id']}", 200),
    ]
    assert sim.request_log.count("/v5/catalogs/feeds") == 0
