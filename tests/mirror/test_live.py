"""Live list and get: one call to the API through the tap's own streams."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from tap_pinterest.mirror.execute import RequestError, UpstreamError
from tap_pinterest.mirror.live import LiveClient
from tap_pinterest.simulator import Simulator


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


@responses.activate
def test_get_reads_one_record_from_the_api() -> None:
    api = "https://api.example.test/v5"
    client = LiveClient({"api_url": api, "access_token": "tok"})
    responses.get(f"{api}/boards/42", json={"id": "42", "name": "Recipes"})
    responses.get(f"{api}/boards/43", status=404, json={"code": 40, "message": "Board not found."})
    assert client.get("boards", "42") == {"id": "42", "name": "Recipes"}
    assert responses.calls[0].request.headers["Authorization"] == "Bearer tok"
    assert "page_size" not in (responses.calls[0].request.url or "")
    error = _error(client.get, "boards", "43")
    assert (error.status, error.problem) == (404, "not_found")
    assert _error(client.get, "campaigns", "1").problem == "unknown_entity"
    assert _error(client.get, "boards", "../x").problem == "invalid_param"
