"""Organic side: user account, boards' privacy, sections, pins and catalogs."""

from __future__ import annotations

from collections import Counter

import pytest

from tap_pinterest.simulator import Simulator

from .conftest import Api


def test_user_account(sim: Simulator, api: Api) -> None:
    body = api.get("/user_account").json()
    assert body == sim.dataset.user_account
    assert body["board_count"] == len(sim.dataset.boards)


def test_dataset_has_every_board_privacy(sim: Simulator) -> None:
    assert set(Counter(b["privacy"] for b in sim.dataset.boards)) == {
        "PUBLIC",
        "PROTECTED",
        "SECRET",
    }


@pytest.mark.parametrize(
    ("privacy", "expected"),
    [
        (None, {"PUBLIC", "PROTECTED", "SECRET"}),  # the spec: every board the token may see
        ("ALL", {"PUBLIC", "PROTECTED", "SECRET"}),
        ("PUBLIC", {"PUBLIC"}),
        ("PROTECTED", {"PROTECTED"}),
        ("SECRET", {"SECRET"}),
        ("PUBLIC_AND_SECRET", {"PUBLIC", "SECRET"}),
    ],
)
def test_boards_privacy_filter(
    sim: Simulator, api: Api, privacy: str | None, expected: set[str]
) -> None:
    params = {"privacy": privacy} if privacy else {}
    items, _ = api.get_all("/boards", **params)
    assert {b["privacy"] for b in items} == expected
    assert len(items) == sum(1 for b in sim.dataset.boards if b["privacy"] in expected)


def test_bad_privacy_is_a_400(api: Api) -> None:
    response = api.get("/boards", privacy="FRIENDS")
    assert response.status_code == 400 and response.json()["code"] == 1


def test_board_pins_include_section_pins_and_section_pins_are_a_subset(
    sim: Simulator, api: Api
) -> None:
    section = sim.dataset.board_sections[0]
    board_id = section["board_id"]
    pins, _ = api.get_all(f"/boards/{board_id}/pins", page_size=250)
    assert {p["board_id"] for p in pins} == {board_id}
    in_sections = [p for p in pins if p["board_section_id"]]
    assert in_sections and len(in_sections) < len(pins)
    section_pins, _ = api.get_all(f"/boards/{board_id}/sections/{section['id']}/pins")
    assert section_pins
    assert {p["board_section_id"] for p in section_pins} == {section["id"]}
    assert {p["id"] for p in section_pins} <= {p["id"] for p in pins}
    sections, _ = api.get_all(f"/boards/{board_id}/sections")
    assert section["id"] in {s["id"] for s in sections}
    assert set(sections[0]) == {"id", "name"}


def test_unknown_board_and_section_are_404(sim: Simulator, api: Api) -> None:
    response = api.get("/boards/123/pins")
    assert response.status_code == 404 and response.json()["code"] == 40
    assert api.get("/boards/123/sections").status_code == 404
    section = sim.dataset.board_sections[0]
    other = next(b for b in sim.dataset.boards if b["id"] != section["board_id"])
    assert api.get(f"/boards/{other['id']}/sections/{section['id']}/pins").status_code == 404


def test_user_pins_exclude_protected_boards_unless_asked(sim: Simulator, api: Api) -> None:
    privacy = {b["id"]: b["privacy"] for b in sim.dataset.boards}
    default, _ = api.get_all("/pins", page_size=250)
    assert "PROTECTED" not in {privacy[p["board_id"]] for p in default}
    assert {"PUBLIC", "SECRET"} <= {privacy[p["board_id"]] for p in default}
    everything, _ = api.get_all("/pins", page_size=250, include_protected_pins="true")
    assert len(everything) == len(sim.dataset.pins) > len(default) > 250
    private, _ = api.get_all("/pins", pin_type="PRIVATE", page_size=250)
    assert private and {privacy[p["board_id"]] for p in private} == {"SECRET"}


def test_pin_filters_and_metrics(sim: Simulator, api: Api) -> None:
    everything = {"include_protected_pins": "true", "page_size": 250}
    repins, _ = api.get_all("/pins", pin_filter="exclude_native", **everything)
    natives, _ = api.get_all("/pins", pin_filter="exclude_repins", **everything)
    assert repins and all(p["parent_pin_id"] for p in repins)
    assert len(repins) + len(natives) == len(sim.dataset.pins)
    promoted, _ = api.get_all("/pins", pin_filter="has_been_promoted", **everything)
    assert promoted and all(p["has_been_promoted"] for p in promoted)
    videos, _ = api.get_all("/pins", creative_types="VIDEO,IDEA", **everything)
    assert videos and {p["creative_type"] for p in videos} == {"VIDEO", "IDEA"}
    plain = api.get("/pins").json()["items"][0]
    assert plain["pin_metrics"] is None
    with_metrics = api.get("/pins", pin_metrics="true").json()["items"][0]
    assert with_metrics["pin_metrics"]["90d"]["impression"] > 0
    assert api.get("/pins", pin_filter="nope").status_code == 400


def test_catalogs_feeds_and_product_groups(sim: Simulator, api: Api) -> None:
    catalogs, _ = api.get_all("/catalogs")
    assert {c["catalog_type"] for c in catalogs} == {"RETAIL", "HOTEL"}
    feeds, _ = api.get_all("/catalogs/feeds")
    assert len(feeds) == len(sim.dataset.catalogs_feeds)
    retail = next(c for c in catalogs if c["catalog_type"] == "RETAIL")
    retail_feeds, _ = api.get_all("/catalogs/feeds", catalog_id=retail["id"])
    assert retail_feeds and {f["catalog_id"] for f in retail_feeds} == {retail["id"]}
    groups, _ = api.get_all("/catalogs/product_groups")
    assert len(groups) == len(sim.dataset.catalogs_product_groups)
    feed_groups, _ = api.get_all("/catalogs/product_groups", feed_id=retail_feeds[0]["id"])
    assert feed_groups and {g["feed_id"] for g in feed_groups} == {retail_feeds[0]["id"]}
    by_id, _ = api.get_all("/catalogs/product_groups", id=[groups[0]["id"], groups[1]["id"]])
    assert [g["id"] for g in by_id] == [groups[0]["id"], groups[1]["id"]]


def test_business_access_ad_account_id_is_checked(sim: Simulator, api: Api) -> None:
    account = sim.dataset.ad_accounts[0]["id"]
    assert api.get("/boards", ad_account_id=account).status_code == 200
    assert api.get("/boards", ad_account_id="1").status_code == 404
    assert api.get("/catalogs", ad_account_id="x1").status_code == 400


def test_unknown_route_is_a_json_404_and_is_logged(sim: Simulator, api: Api) -> None:
    response = api.get("/boardz")
    assert response.status_code == 404
    assert set(response.json()) == {"code", "message"}
    assert sim.request_log.counts()[("GET", "/v5/boardz")] == 1
