"""The generated dataset: determinism, scaling, shapes, and mutations."""

from __future__ import annotations

import re

import pytest
import time_machine

from tap_pinterest.simulator import ENTITIES, Dataset, Simulator
from tap_pinterest.simulator.data.dataset import MUTABLE_ENTITIES, UPDATE_FIELDS
from tap_pinterest.simulator.data.util import EPOCH_END
from tap_pinterest.simulator.data.vocab import THEMES

from .conftest import Api

SCALE_1 = {
    "ad_accounts": 3,
    "campaigns": 30,
    "ad_groups": 90,
    "ads": 180,
    "keywords": 240,
    "audiences": 12,
    "customer_lists": 9,
    "conversion_tags": 6,
    "boards": 10,
    "board_sections": 20,
    "pins": 500,
    "catalogs": 2,
    "catalogs_feeds": 4,
    "catalogs_product_groups": 8,
}


def test_scale_1_counts() -> None:
    assert Dataset(seed=1, scale=1.0).counts() == SCALE_1


def test_same_seed_is_byte_identical_whatever_the_clock() -> None:
    with time_machine.travel("2024-02-29 12:00:00Z", tick=False):
        first = Dataset(seed=11, scale=1.0).to_json()
    with time_machine.travel("2031-07-01 00:00:00Z", tick=False):
        second = Dataset(seed=11, scale=1.0).to_json()
    assert first == second


def test_different_seeds_differ() -> None:
    one, two = Dataset(seed=1), Dataset(seed=2)
    assert one.to_json() != two.to_json()
    assert one.pins[0]["id"] != two.pins[0]["id"]
    assert one.counts() == two.counts()


@pytest.mark.parametrize("scale", [0.5, 2.0, 3.0])
def test_counts_grow_linearly(scale: float) -> None:
    counts = Dataset(seed=1, scale=scale).counts()
    for name, base in SCALE_1.items():
        assert abs(counts[name] - base * scale) <= 1, name


def test_ids_are_unique_numeric_strings_of_pinterest_lengths() -> None:
    data = Dataset(seed=4, scale=2.0)
    seen: set[str] = set()
    for name, records in data:
        ids = [r["id"] for r in records]
        assert all(isinstance(i, str) and i.isdigit() for i in ids), name
        assert len(set(ids)) == len(ids), name
        assert not seen & set(ids), name
        seen |= set(ids)
    assert {len(a["id"]) for a in data.ad_accounts} == {12}
    assert {len(p["id"]) for p in data.pins} == {18}
    assert len(data.user_account["id"]) == 19


def test_parents_exist() -> None:
    data = Dataset(seed=1, scale=1.0)
    ids = {name: {r["id"] for r in records} for name, records in data}
    assert all(c["ad_account_id"] in ids["ad_accounts"] for c in data.campaigns)
    assert all(g["campaign_id"] in ids["campaigns"] for g in data.ad_groups)
    assert all(a["ad_group_id"] in ids["ad_groups"] for a in data.ads)
    assert all(a["pin_id"] in ids["pins"] for a in data.ads)
    parents = {"advertiser": "ad_accounts", "campaign": "campaigns", "ad_group": "ad_groups"}
    assert all(k["parent_id"] in ids[parents[k["parent_type"]]] for k in data.keywords)
    assert all(p["board_id"] in ids["boards"] for p in data.pins)
    sections = {s["id"]: s["board_id"] for s in data.board_sections}
    in_sections = [p for p in data.pins if p["board_section_id"]]
    assert in_sections and all(
        sections[p["board_section_id"]] == p["board_id"] for p in in_sections
    )
    assert all(f["catalog_id"] in ids["catalogs"] for f in data.catalogs_feeds)


def test_times_are_fixed_dates_before_2026() -> None:
    data = Dataset(seed=1, scale=1.0)
    for name, records in data:
        for record in records:
            for key in ("created_time", "updated_time", "created_timestamp", "updated_timestamp"):
                if key in record:
                    assert 1_600_000_000 < record[key] <= EPOCH_END, (name, key)
            if "created_time" in record:
                assert record["created_time"] <= record["updated_time"]
            for key in ("created_at", "updated_at"):
                if isinstance(record.get(key), str):
                    assert record[key] < "2026-01-01", (name, key)


def test_text_uses_real_words() -> None:
    data = Dataset(seed=1, scale=1.0)
    vocabulary = {w for words in THEMES.values() for w in words}
    text = " ".join(p["title"] + " " + p["description"] for p in data.pins).lower()
    words = set(re.findall(r"[a-z]+", text))
    assert len(words & vocabulary) > 100
    assert "lorem" not in words


def test_mutate_bumps_updated_time_and_name() -> None:
    now = [1_900_000_000.0]
    with Simulator(seed=1, scale=1.0, clock=lambda: now[0]) as sim:
        before = {c["id"]: dict(c) for c in sim.dataset.campaigns}
        ids = sim.mutate("campaigns", 5)
        assert len(ids) == len(set(ids)) == 5
        for cid in ids:
            after = sim.dataset.by_id("campaigns", cid)
            assert after is not None
            assert after["updated_time"] == 1_900_000_000
            assert after["name"] != before[cid]["name"]
        # Within the same second, the next mutation is still strictly later.
        again = sim.mutate("campaigns", 2)
        assert all(
            (sim.dataset.by_id("campaigns", i) or {})["updated_time"] == 1_900_000_001
            for i in again
        )
        # The API serves the new values.
        account = (sim.dataset.by_id("campaigns", ids[0]) or {})["ad_account_id"]
        items, _ = Api(sim).get_all(
            f"/ad_accounts/{account}/campaigns",
            entity_statuses="ACTIVE,PAUSED,ARCHIVED,DRAFT,DELETED_DRAFT",
        )
        served = {c["id"]: c for c in items}[ids[0]]
        assert served["updated_time"] == 1_900_000_000


def test_mutate_is_deterministic_and_validates() -> None:
    picks = [Simulator(seed=3, scale=1.0).mutate("ads", 4) for _ in range(2)]
    assert picks[0] == picks[1]
    sim = Simulator(seed=3, scale=1.0)
    assert sim.mutate("ads", 4) != sim.mutate("ads", 4)
    for entity in MUTABLE_ENTITIES:
        assert len(sim.mutate(entity, 1)) == 1
        field, _ = UPDATE_FIELDS[entity]
        assert field in sim.dataset.get(entity)[0]
    with pytest.raises(ValueError):
        sim.mutate("pins", 1)
    with pytest.raises(ValueError):
        sim.mutate("campaigns", 10_000)


def test_every_entity_is_exposed() -> None:
    data = Dataset(seed=1, scale=0.3)
    for name in ENTITIES:
        assert getattr(data, name) is data.get(name)
    assert data.user_account["username"]


def test_scale_300_has_over_100k_pins_with_unique_ids() -> None:
    data = Dataset(seed=1, scale=300)
    counts = data.counts()
    assert counts["pins"] == 150_000
    all_ids = [r["id"] for _, records in data for r in records]
    assert len(set(all_ids)) == len(all_ids)


def test_reindex_after_adding_records_by_hand(sim: Simulator) -> None:
    api = Api(sim)
    board = sim.dataset.boards[0]
    before = len(api.get_all(f"/boards/{board['id']}/pins", page_size=250)[0])
    pin = dict(sim.dataset.pins[0], id="899999999999999999", board_id=board["id"])
    sim.dataset.pins.append(pin)
    sim.dataset.reindex()
    after, _ = api.get_all(f"/boards/{board['id']}/pins", page_size=250)
    assert len(after) == before + 1 and after[-1]["id"] == pin["id"]
