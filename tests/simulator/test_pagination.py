"""Lists: {items, bookmark}; bookmark null on the last page; page_size rules."""

from __future__ import annotations

import math

import pytest

from tap_pinterest.simulator import Simulator

from .conftest import Api


def _big_board(sim: Simulator) -> dict:
    return max(sim.dataset.boards, key=lambda b: b["pin_count"])


def test_scale_1_has_a_list_longer_than_one_full_page(sim: Simulator) -> None:
    assert _big_board(sim)["pin_count"] > 250


@pytest.mark.parametrize("page_size", [1, 7, 25, 100, 250])
def test_calls_are_exactly_ceil_of_items_over_page_size(
    sim: Simulator, api: Api, page_size: int
) -> None:
    board = _big_board(sim)
    items, calls = api.get_all(f"/boards/{board['id']}/pins", page_size=page_size)
    assert len(items) == board["pin_count"]
    assert calls == max(1, math.ceil(board["pin_count"] / page_size))
    assert [p["id"] for p in items] == [
        p["id"] for p in sim.dataset.children("pins", "board_id", board["id"])
    ]
    assert len({p["id"] for p in items}) == len(items)


def test_no_extra_empty_page_when_the_count_is_a_multiple_of_the_page_size(
    sim: Simulator, api: Api
) -> None:
    n = len(sim.dataset.pins)
    total = sum(
        1
        for p in sim.dataset.pins
        if p["board_id"] in {b["id"] for b in sim.dataset.boards if b["privacy"] != "PROTECTED"}
    )
    divisor = next(d for d in range(2, 250) if total % d == 0)
    items, calls = api.get_all("/pins", page_size=divisor)
    assert len(items) == total < n
    assert calls == total // divisor
    accounts = len(sim.dataset.ad_accounts)
    one = api.get("/ad_accounts", page_size=accounts).json()
    assert len(one["items"]) == accounts and one["bookmark"] is None
    assert api.get_all("/ad_accounts", page_size=1)[1] == accounts


def test_default_page_size_is_25(sim: Simulator, api: Api) -> None:
    body = api.get("/pins").json()
    assert len(body["items"]) == 25
    assert isinstance(body["bookmark"], str)


def test_empty_list_takes_one_call_with_a_null_bookmark(sim: Simulator, api: Api) -> None:
    account = sim.dataset.ad_accounts[0]["id"]
    body = api.get(f"/ad_accounts/{account}/audiences", ownership_type="RECEIVED").json()
    assert body == {"items": [], "bookmark": None}


def test_bookmarks_are_opaque_and_carry_the_request_identity(sim: Simulator, api: Api) -> None:
    board = _big_board(sim)
    bookmark = api.get(f"/boards/{board['id']}/pins", page_size=10).json()["bookmark"]
    assert bookmark.isascii() and "=" not in bookmark and board["id"] not in bookmark
    # The same bookmark on another board, or with other filters, is refused.
    other = next(b for b in sim.dataset.boards if b["id"] != board["id"])
    response = api.get(f"/boards/{other['id']}/pins", bookmark=bookmark)
    assert response.status_code == 400
    assert response.json()["code"] == 1
    # page_size may change between pages.
    second = api.get(f"/boards/{board['id']}/pins", page_size=50, bookmark=bookmark)
    assert second.status_code == 200
    assert (
        second.json()["items"][0]["id"]
        == sim.dataset.children("pins", "board_id", board["id"])[10]["id"]
    )


@pytest.mark.parametrize("bookmark", ["garbage", "WzEsMiwiIl0", "!!!", "W1td"])
def test_invalid_bookmark_is_a_400(api: Api, bookmark: str) -> None:
    response = api.get("/pins", bookmark=bookmark)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 1 and "bookmark" in body["message"]


@pytest.mark.parametrize("page_size", ["251", "1000", "0", "-1", "3e", "ten", "2.5", ""])
def test_bad_page_size_is_a_400_with_code_1(sim: Simulator, api: Api, page_size: str) -> None:
    account = sim.dataset.ad_accounts[0]["id"]
    for path in ("/pins", f"/ad_accounts/{account}/campaigns", "/catalogs"):
        response = api.get(path, page_size=page_size)
        assert response.status_code == 400, (path, page_size)
        body = response.json()
        assert set(body) == {"code", "message"}
        assert body["code"] == 1 and "page_size" in body["message"]


def test_page_size_250_is_accepted(api: Api) -> None:
    assert api.get("/pins", page_size=250).status_code == 200


def test_conversion_tags_are_not_paginated(sim: Simulator, api: Api) -> None:
    account = sim.dataset.ad_accounts[0]["id"]
    body = api.get(f"/ad_accounts/{account}/conversion_tags").json()
    assert set(body) == {"items"}
    expected = sim.dataset.children("conversion_tags", "ad_account_id", account)
    assert [t["id"] for t in body["items"]] == [t["id"] for t in expected]


def test_descending_order_reverses_ids(sim: Simulator, api: Api) -> None:
    account = sim.dataset.ad_accounts[1]["id"]
    everything = "ACTIVE,PAUSED,ARCHIVED,DRAFT,DELETED_DRAFT"
    up, _ = api.get_all(
        f"/ad_accounts/{account}/campaigns", entity_statuses=everything, page_size=4
    )
    down, _ = api.get_all(
        f"/ad_accounts/{account}/campaigns",
        entity_statuses=everything,
        page_size=4,
        order="DESCENDING",
    )
    assert [c["id"] for c in down] == [c["id"] for c in reversed(up)]
    assert [int(c["id"]) for c in up] == sorted(int(c["id"]) for c in up)
