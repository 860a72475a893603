"""Live list and get: one call to the API through the tap's own streams."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tap_pinterest.live import GET_ENTITIES, LiveClient
from tap_pinterest.mirror.query.requests import RequestError, UpstreamError
from tap_pinterest.simulator import Simulator
from tap_pinterest.simulator.endpoints.by_id import BY_ID


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(seed=5, scale=1) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def live(sim: Simulator) -> LiveClient:
    return LiveClient(sim.tap_config())


@pytest.fixture(autouse=True)
def _fresh_log(sim: Simulator) -> Iterator[None]:
    sim.request_log.reset()
    sim.faults.clear_scripts()
    yield
    sim.faults.clear_scripts()


def _error(call: object, *args: object) -> RequestError:
    with pytest.raises(RequestError) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


def test_one_page_is_one_call(sim: Simulator, live: LiveClient) -> None:
    page = live.list("pins", {"page_size": 100})
    assert [p["id"] for p in page["data"]] == [p["id"] for p in sim.dataset.pins[:100]]
    assert page["meta"]["has_more"] is True
    assert isinstance(page["meta"]["cursor"], str)
    assert isinstance(page["meta"]["took_ms"], float)
    [entry] = sim.request_log.entries()
    assert (entry.method, entry.route, entry.status) == ("GET", "/v5/pins", 200)
    assert entry.query["page_size"] == ["100"]
    assert "bookmark" not in entry.query


def test_bookmark_walks_every_page_once(sim: Simulator, live: LiveClient) -> None:
    ids: list[str] = []
    cursors: list[str] = []
    params: dict[str, object] = {"page_size": 200}
    while True:
        page = live.list("pins", params)
        ids.extend(record["id"] for record in page["data"])
        if not page["meta"]["has_more"]:
            assert page["meta"]["cursor"] is None
            break
        cursors.append(page["meta"]["cursor"])
        params = {"page_size": 200, "bookmark": cursors[-1]}
    assert ids == [p["id"] for p in sim.dataset.pins]
    entries = sim.request_log.entries()
    assert len(entries) == 3
    assert [e.query.get("bookmark") for e in entries] == [None, *[[c] for c in cursors]]


def test_page_size_is_capped_at_250(sim: Simulator, live: LiveClient) -> None:
    page = live.list("pins", {"page_size": 5000})
    assert len(page["data"]) == 250
    [entry] = sim.request_log.entries()
    assert entry.query["page_size"] == ["250"]


def test_default_page_size_is_250(sim: Simulator, live: LiveClient) -> None:
    live.list("boards", {})
    [entry] = sim.request_log.entries()
    assert entry.query["page_size"] == ["250"]


@pytest.mark.parametrize("bad", [0, -1, "10", True, 2.5])
def test_page_size_must_be_a_positive_integer(live: LiveClient, bad: object) -> None:
    error = _error(live.list, "pins", {"page_size": bad})
    assert error.problem == "invalid_param"
    assert "page_size" in error.message
    assert "1 to 250" in error.message


def test_child_entity_needs_its_parent_id(sim: Simulator, live: LiveClient) -> None:
    error = _error(live.list, "board_pins", {})
    assert error.status == 400
    assert error.problem == "missing_param"
    assert error.message == "list board_pins needs params.board_id (/boards/{board_id}/pins)"
    error = _error(live.list, "board_section_pins", {"board_id": "1"})
    assert "params.board_section_id" in error.message
    error = _error(live.list, "campaigns", {"page_size": 10})
    assert "params.ad_account_id" in error.message
    assert sim.request_log.total() == 0


@pytest.mark.parametrize("bad", ["../ad_accounts", "1?x=2", "", "a b", True, None])
def test_parent_id_must_be_an_id(sim: Simulator, live: LiveClient, bad: object) -> None:
    error = _error(live.list, "board_pins", {"board_id": bad})
    assert error.problem in {"invalid_param", "missing_param"}
    assert sim.request_log.total() == 0


def test_child_records_carry_their_parent_ids(sim: Simulator, live: LiveClient) -> None:
    board = max(
        sim.dataset.boards, key=lambda b: sum(p["board_id"] == b["id"] for p in sim.dataset.pins)
    )
    page = live.list("board_pins", {"board_id": board["id"], "page_size": 10})
    assert len(page["data"]) == 10
    assert {r["board_id"] for r in page["data"]} == {board["id"]}
    account = sim.dataset.ad_accounts[0]["id"]
    page = live.list("campaigns", {"ad_account_id": int(account)})
    assert page["data"]
    assert {r["ad_account_id"] for r in page["data"]} == {account}
    assert [e.path for e in sim.request_log.entries()][-1] == f"/v5/ad_accounts/{account}/campaigns"


def test_filters_of_the_connector(sim: Simulator, live: LiveClient) -> None:
    account = sim.dataset.ad_accounts[0]["id"]
    page = live.list("campaigns", {"ad_account_id": account, "entity_statuses": ["ARCHIVED"]})
    assert page["data"]
    assert {r["status"] for r in page["data"]} == {"ARCHIVED"}
    assert sim.request_log.entries()[-1].query["entity_statuses"] == ["ARCHIVED"]
    error = _error(live.list, "campaigns", {"ad_account_id": account, "entity_statuses": ["NOPE"]})
    assert error.problem == "invalid_param"
    assert "ACTIVE" in error.choices
    live.list("ad_accounts", {"include_shared_accounts": False})
    assert sim.request_log.entries()[-1].query["include_shared_accounts"] == ["false"]


def test_unknown_param_names_the_valid_ones(live: LiveClient) -> None:
    error = _error(live.list, "boards", {"limit": 5})
    assert error.problem == "unknown_param"
    assert error.choices == ["page_size", "bookmark", "privacy"]
    assert error.message == "Unknown param 'limit'. Valid choices: page_size, bookmark, privacy."


def test_unknown_entity_lists_the_listable_ones(live: LiveClient) -> None:
    error = _error(live.list, "ad_analytics", {})
    assert error.problem == "unknown_entity"
    assert "boards" in error.choices
    assert "board_pins" in error.choices
    assert not [c for c in error.choices if c.endswith("_analytics")]
    assert _error(live.list, None, {}).problem == "missing_entity"


def test_unpaginated_entity_has_no_paging_params(sim: Simulator, live: LiveClient) -> None:
    page = live.list("user_account", {})
    assert page["data"][0]["username"] == sim.dataset.user_account["username"]
    assert page["meta"]["has_more"] is False
    assert "page_size" not in sim.request_log.entries()[0].query
    assert _error(live.list, "user_account", {"page_size": 5}).problem == "unknown_param"


def test_secret_fields_are_dropped(live: LiveClient) -> None:
    page = live.list("catalogs_feeds", {})
    assert page["data"]
    assert all("credentials" not in feed for feed in page["data"])


def test_retries_are_the_taps(sim: Simulator) -> None:
    client = LiveClient({**sim.tap_config(), "retry_base_wait_seconds": 0.01})
    sim.faults.script("/v5/boards", status=503, times=1)
    page = client.list("boards", {"page_size": 3})
    assert len(page["data"]) == 3
    assert [e.status for e in sim.request_log.entries()] == [503, 200]


def test_api_errors_are_one_line_without_secrets(sim: Simulator) -> None:
    client = LiveClient({**sim.tap_config(), "access_token": "not-the-token-123"})
    with pytest.raises(UpstreamError) as caught:
        client.list("boards", {})
    assert caught.value.status == 502
    assert "HTTP 401" in caught.value.message
    assert "not-the-token-123" not in caught.value.message
    assert "\n" not in caught.value.message


def test_api_404_is_not_found(sim: Simulator, live: LiveClient) -> None:
    sim.faults.script(
        "/v5/boards/{board_id}/pins", status=404, body={"code": 40, "message": "Board not found."}
    )
    error = _error(live.list, "board_pins", {"board_id": "123"})
    assert error.status == 404
    assert error.problem == "not_found"
    assert "Board not found." in error.message


def test_bad_config_is_a_value_error(sim: Simulator) -> None:
    with pytest.raises(ValueError, match="api_url"):
        LiveClient({"access_token": "x", "api_url": "ftp://nope"})


# ---- get ------------------------------------------------------------------------------


def _parents(record: dict[str, Any]) -> dict[str, str]:
    """The parent ids a list or get of the record's entity takes: its ad account's."""
    return {"ad_account_id": record["ad_account_id"]} if "ad_account_id" in record else {}


def test_get_serves_every_entity_the_api_can_get() -> None:
    assert {by_id.entity for by_id in BY_ID.values()} == GET_ENTITIES


@pytest.mark.parametrize("entity", sorted(GET_ENTITIES))
def test_get_is_one_call_answering_the_record_list_answers(
    sim: Simulator, live: LiveClient, entity: str
) -> None:
    parents = _parents(sim.dataset.get(entity)[0])
    listed = live.list(entity, dict(parents))["data"][-1]
    record = live.get(entity, {**parents, "id": listed["id"]})
    assert record == listed
    [list_call, get_call] = sim.request_log.entries()
    assert get_call.path == f"{list_call.path}/{listed['id']}"
    assert (get_call.status, get_call.query) == (200, {})
    assert get_call.route != list_call.route


def test_get_takes_the_id_by_either_name(sim: Simulator, live: LiveClient) -> None:
    campaign = sim.dataset.campaigns[-1]
    by_name = live.get("campaigns", {**_parents(campaign), "campaign_id": campaign["id"]})
    assert by_name["id"] == campaign["id"]
    assert by_name["ad_account_id"] == campaign["ad_account_id"]
    board = sim.dataset.boards[0]
    assert live.get("boards", {"board_id": int(board["id"])})["name"] == board["name"]


def test_get_drops_the_secret_fields_the_api_serves(sim: Simulator, live: LiveClient) -> None:
    feed = sim.dataset.catalogs_feeds[0]
    record = live.get("catalogs_feeds", {"id": feed["id"]})
    assert record["name"] == feed["name"]
    assert "credentials" in feed
    assert "credentials" not in record


def test_get_of_a_child_needs_its_parent_id(sim: Simulator, live: LiveClient) -> None:
    campaign = sim.dataset.campaigns[0]["id"]
    error = _error(live.get, "campaigns", {"id": campaign})
    assert (error.status, error.problem) == (400, "missing_param")
    assert error.message == (
        "get campaigns needs params.ad_account_id (/ad_accounts/{ad_account_id}/campaigns)"
    )
    error = _error(live.get, "ads", {"id": campaign, "ad_account_id": "../x"})
    assert error.problem == "invalid_param"
    assert _error(live.get, "campaigns", {"ad_account_id": "1"}).problem == "missing_param"
    assert sim.request_log.total() == 0


def test_get_names_its_valid_params(sim: Simulator, live: LiveClient) -> None:
    error = _error(live.get, "campaigns", {"id": "1", "ad_account_id": "2", "page_size": 5})
    assert error.problem == "unknown_param"
    assert error.choices == ["id", "campaign_id", "ad_account_id"]
    assert _error(live.get, "boards", {"id": "1", "ad_account_id": "2"}).choices == [
        "id",
        "board_id",
    ]
    assert sim.request_log.total() == 0


def test_get_of_another_accounts_record_is_not_found(sim: Simulator, live: LiveClient) -> None:
    ad_group = sim.dataset.ad_groups[0]
    other = next(a["id"] for a in sim.dataset.ad_accounts if a["id"] != ad_group["ad_account_id"])
    error = _error(live.get, "ad_groups", {"id": ad_group["id"], "ad_account_id": other})
    assert (error.status, error.problem) == (404, "not_found")
    assert "Ad group not found." in error.message
    assert (
        sim.request_log.entries()[-1].path == f"/v5/ad_accounts/{other}/ad_groups/{ad_group['id']}"
    )


def test_get_of_an_unknown_id_is_the_apis_404(sim: Simulator, live: LiveClient) -> None:
    error = _error(live.get, "boards", {"id": "12345"})
    assert (error.status, error.problem) == (404, "not_found")
    assert "Board not found." in error.message
    error = _error(live.get, "pins", {"id": "12345"})
    assert "Pin not found." in error.message
    assert [e.status for e in sim.request_log.entries()] == [404, 404]


def test_get_refuses_what_it_cannot_get(sim: Simulator, live: LiveClient) -> None:
    error = _error(live.get, "keywords", {"id": "1", "ad_account_id": "2"})
    assert error.problem == "unknown_entity"
    assert error.choices == sorted(GET_ENTITIES)
    assert _error(live.get, "boards", {"id": "../x"}).problem == "invalid_param"
    assert _error(live.get, "boards", {"id": True}).problem == "invalid_param"
    assert _error(live.get, "boards", {}).problem == "missing_param"
    assert sim.request_log.total() == 0


def test_get_of_an_account_outside_ad_account_ids(sim: Simulator) -> None:
    first, second = (a["id"] for a in sim.dataset.ad_accounts[:2])
    client = LiveClient({**sim.tap_config(), "ad_account_ids": [first]})
    assert client.get("ad_accounts", {"id": first})["id"] == first
    error = _error(client.get, "ad_accounts", {"id": second})
    assert (error.status, error.problem) == (404, "not_found")
    assert error.message == f"ad_accounts {second} is not in the configured scope"
    assert [e.status for e in sim.request_log.entries()] == [200, 200]


def test_get_errors_are_the_taps(sim: Simulator) -> None:
    board = sim.dataset.boards[0]["id"]
    client = LiveClient({**sim.tap_config(), "retry_base_wait_seconds": 0.01})
    sim.faults.script("/v5/boards/{board_id}", status=503, times=1)
    assert client.get("boards", {"id": board})["id"] == board
    assert [e.status for e in sim.request_log.entries()] == [503, 200]
    sim.faults.script("/v5/boards/{board_id}", status=200, body=[board])
    with pytest.raises(UpstreamError, match="not a JSON object"):
        client.get("boards", {"id": board})
    wrong = LiveClient({**sim.tap_config(), "access_token": "not-the-token-456"})
    with pytest.raises(UpstreamError) as caught:
        wrong.get("boards", {"id": board})
    assert "HTTP 401" in caught.value.message
    assert "not-the-token-456" not in caught.value.message
