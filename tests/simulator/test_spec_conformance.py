"""Every simulated response validates against the Pinterest OpenAPI spec (v5.23.0).

The spec is read from ../shared/pinterest-openapi/openapi.json beside the repository
(or $PINTEREST_OPENAPI_SPEC). Without it these tests are skipped, except under CI=true,
where they fail.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests

from tap_pinterest.simulator import ROUTES, Dataset, Faults, Route, Simulator
from tap_pinterest.simulator.endpoints.analytics import HANDLERS as ANALYTICS_HANDLERS
from tap_pinterest.simulator.endpoints.by_id import BY_ID

from .conftest import Api, SpecValidator, load_spec

LIST_ROUTES = [
    r for r in ROUTES if r.method == "GET" and r.name not in ANALYTICS_HANDLERS | BY_ID.keys()
]
GET_ROUTES = [r for r in ROUTES if r.name in BY_ID]


@pytest.fixture(scope="module")
def shared_sim() -> Any:
    with Simulator(seed=3, scale=1.0) as simulator:
        yield simulator


def _requests_for(sim: Simulator, route: Route) -> list[tuple[str, dict[str, Any]]]:
    """Requests that together return every record the route can serve."""
    data = sim.dataset
    everything = {"entity_statuses": "ACTIVE,PAUSED,ARCHIVED,DRAFT,DELETED_DRAFT"}
    accounts = [a["id"] for a in data.ad_accounts]
    out: list[tuple[str, dict[str, Any]]] = []
    for account in accounts if "{ad_account_id}" in route.template else [None]:
        for board in data.boards if "{board_id}" in route.template else [None]:
            path = route.template.removeprefix("/v5")
            path = path.replace("{ad_account_id}", account or "").replace("{board_id}", "")
            params: dict[str, Any] = {}
            if route.name in ("campaigns", "ad_groups", "ads"):
                params.update(everything)
            if route.name == "keywords":
                groups = [g["id"] for g in data.ad_groups if g["ad_account_id"] == account]
                out.append((path, {}))
                out.extend(
                    (path, {"campaign_id": c["id"]})
                    for c in data.campaigns
                    if c["ad_account_id"] == account
                )
                for i in range(0, len(groups), 250):
                    out.append((path, {"ad_group_ids": ",".join(groups[i : i + 250])}))
                continue
            if route.name in ("pins", "board_pins"):
                params["pin_metrics"] = "true"
            if route.name == "pins":
                params["include_protected_pins"] = "true"
            if board is not None:
                path = route.template.removeprefix("/v5").replace("{board_id}", board["id"])
                if "{section_id}" in path:
                    sections = data.children("board_sections", "board_id", board["id"])
                    out.extend((path.replace("{section_id}", s["id"]), params) for s in sections)
                    continue
            out.append((path, params))
    return out


@pytest.mark.parametrize("route", LIST_ROUTES, ids=lambda r: r.name)
def test_every_get_route_matches_the_spec(
    route: Route, shared_sim: Simulator, spec_validator: SpecValidator
) -> None:
    api = Api(shared_sim)
    validated = 0
    for path, params in _requests_for(shared_sim, route):
        query = dict(params)
        if route.paginated:
            query["page_size"] = 250
        while True:
            response = api.get(path, **query)
            assert response.status_code == 200, (path, response.text)
            body = response.json()
            assert spec_validator.errors(route, 200, body) == [], path
            if route.paginated:
                validated += len(body["items"])
                if body["bookmark"] is None:
                    break
                query["bookmark"] = body["bookmark"]
            else:
                validated += len(body.get("items", [body]))
                break
    expected = {"user_account": 1, "oauth_token": 1}.get(route.name) or len(
        shared_sim.dataset.get(
            {"board_pins": "pins", "board_section_pins": "pins"}.get(route.name, route.name)
        )
    )
    if route.name == "board_section_pins":
        expected = sum(1 for p in shared_sim.dataset.pins if p["board_section_id"])
    assert validated == expected, f"{route.template}: validated {validated} of {expected}"


def _by_id_path(route: Route, record: dict[str, Any]) -> str:
    """The route's path for one record (ads records: under their own ad account)."""
    by_id = BY_ID[route.name]
    path = route.template.removeprefix("/v5").replace(f"{{{by_id.id_param}}}", record["id"])
    return path.replace("{ad_account_id}", record.get("ad_account_id") or record["id"])


@pytest.mark.parametrize("route", GET_ROUTES, ids=lambda r: r.name)
def test_every_get_by_id_route_matches_the_spec(
    route: Route, shared_sim: Simulator, spec_validator: SpecValidator
) -> None:
    """Every record by id: valid for the spec, and the very object its list serves."""
    api = Api(shared_sim)
    entity = BY_ID[route.name].entity
    records = shared_sim.dataset.get(entity)
    assert records
    for record in records:
        path = _by_id_path(route, record)
        response = api.get(path)
        assert response.status_code == 200, (path, response.text)
        body = response.json()
        assert spec_validator.errors(route, 200, body) == [], path
        assert body == json.loads(json.dumps(Dataset.to_api(entity, record))), path
    if entity == "pins":  # the optional metrics, as the lists serve them
        for record in records:
            body = api.get(_by_id_path(route, record), pin_metrics="true").json()
            assert body["pin_metrics"] is not None
            assert spec_validator.errors(route, 200, body) == [], record["id"]


def test_the_spec_has_no_other_get_by_id_of_a_listed_entity(openapi_spec: dict[str, Any]) -> None:
    """Every spec `GET <list path>/{id}` of a simulated list is simulated, and only those."""
    lists = {r.spec_path for r in LIST_ROUTES}
    in_spec = {
        path
        for path, operations in openapi_spec["paths"].items()
        if "get" in operations
        and (found := re.fullmatch(r"(.*)/\{\w+\}", path))
        and found.group(1) in lists
    }
    assert in_spec == {r.spec_path for r in GET_ROUTES}


@pytest.mark.parametrize("route", GET_ROUTES, ids=lambda r: r.name)
def test_get_by_id_errors_match_the_spec(
    route: Route, shared_sim: Simulator, spec_validator: SpecValidator
) -> None:
    """An unknown id (404) and a malformed one (400); no token (401) is tested for every
    route by test_error_bodies_match_the_spec."""
    api = Api(shared_sim)
    by_id = BY_ID[route.name]
    record = shared_sim.dataset.get(by_id.entity)[0]
    unknown = {**record, "id": "9" * 18}
    malformed = {**record, "id": "12ab"}
    answers = [
        (api.get(_by_id_path(route, unknown)), 404),
        (api.get(_by_id_path(route, malformed)), 400),
    ]
    for response, status in answers:
        assert response.status_code == status, response.text
        body = response.json()
        assert spec_validator.errors(route, status, body) == []
        assert spec_validator.error_body_errors(body) == []
    assert answers[0][0].json() == {"code": by_id.not_found[0], "message": by_id.not_found[1]}


def _error_request(sim: Simulator, route: Route) -> requests.Response:
    base = sim.base_url
    headers = {"Authorization": f"Bearer {sim.access_token}"}
    if route.name == "oauth_token":
        return requests.post(
            base + "/oauth/token",
            auth=("wrong", "credentials"),
            data={"grant_type": "refresh_token", "refresh_token": "x"},
            timeout=10,
        )
    if route.name in BY_ID:
        record = sim.dataset.get(BY_ID[route.name].entity)[0]
        return requests.get(sim.base_url + _by_id_path(route, record), timeout=10)  # no token
    path = route.template.removeprefix("/v5")
    path = path.replace("{ad_account_id}", sim.dataset.ad_accounts[0]["id"])
    section = sim.dataset.board_sections[0]
    path = path.replace("{board_id}", section["board_id"]).replace("{section_id}", section["id"])
    if route.paginated:
        return requests.get(base + path, headers=headers, params={"page_size": 0}, timeout=10)
    return requests.request(route.method, base + path, timeout=10)  # no token: 401


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_error_bodies_match_the_spec(
    route: Route, shared_sim: Simulator, spec_validator: SpecValidator
) -> None:
    response = _error_request(shared_sim, route)
    assert response.status_code in (400, 401)
    body = response.json()
    assert spec_validator.errors(route, response.status_code, body) == []
    assert spec_validator.error_body_errors(body) == []


def test_token_response_matches_the_spec(spec_validator: SpecValidator) -> None:
    route = next(r for r in ROUTES if r.name == "oauth_token")
    with Simulator(seed=5, scale=0.1) as sim:
        response = requests.post(
            sim.base_url + "/oauth/token",
            auth=(sim.client_id, sim.client_secret),
            data={
                "grant_type": "refresh_token",
                "refresh_token": sim.refresh_token,
                "continuous_refresh": "true",
            },
            timeout=10,
        )
    assert response.status_code == 200
    assert spec_validator.errors(route, 200, response.json()) == []


def test_other_error_bodies_match_the_error_schema(spec_validator: SpecValidator) -> None:
    faults = Faults(rate_limits={"org_read": (1, 60)}, error_rate=0.0)
    with Simulator(seed=5, scale=0.1, faults=faults) as sim:
        api = Api(sim)
        bodies = [api.get("/boards/999/pins").json(), api.get("/boards").json()]  # 404, 429
        sim.faults.script("/v5/ad_accounts", status=503, body=None)
        bodies.append(api.get("/ad_accounts").json())
        bodies.append(api.get("/ad_accounts/1/campaigns").json())  # unknown account: 404
        bodies.append(api.get("/ad_accounts", bookmark="garbage").json())  # 400
    for body in bodies:
        assert spec_validator.error_body_errors(body) == [], body


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_rate_limit_category_matches_the_spec(route: Route, openapi_spec: dict[str, Any]) -> None:
    operation = openapi_spec["paths"][route.spec_path][route.method.lower()]
    assert route.category == operation["x-ratelimit-category"]


def test_missing_spec_fails_under_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("PINTEREST_OPENAPI_SPEC", str(tmp_path / "absent.json"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="spec not found"):
        load_spec()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="spec not found"):
        load_spec()
