"""Full and incremental syncs against the simulator: records, parent ids, calls, state."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from conftest import expected_records, pages, sim_config
from singer_run import run_tap

from tap_pinterest.simulator import Simulator
from tap_pinterest.tap import TapPinterest

AD_ENTITIES = ("campaigns", "ad_groups", "ads")


@pytest.fixture(scope="module")
def full_sync(request):
    shared_sim = request.getfixturevalue("shared_sim")
    shared_sim.request_log.reset()
    result = run_tap(sim_config(shared_sim))
    return shared_sim, result, shared_sim.request_log.counts()


def _by_id(records):
    return {record["id"]: record for record in records}


def test_every_stream_emits_exactly_the_simulators_records(full_sync) -> None:
    sim, result, _ = full_sync
    expected = expected_records(sim.dataset)
    entity_streams = {name for name in result.records if not name.endswith("_analytics")}
    assert entity_streams == set(expected)
    assert {"campaign_analytics", "pin_analytics"} <= set(
        result.records
    )  # tests/tap/test_analytics.py
    for stream, records in expected.items():
        emitted = result.records[stream]
        assert len(emitted) == len(records), stream
        assert _by_id(emitted) == _by_id(records), f"{stream} differs from the simulator"


def test_feed_credentials_are_never_emitted(full_sync) -> None:
    sim, result, _ = full_sync
    assert any("credentials" in feed for feed in sim.dataset.catalogs_feeds)
    assert result.records["catalogs_feeds"]
    assert not any("credentials" in feed for feed in result.records["catalogs_feeds"])


def test_archived_and_draft_entities_are_included_by_default(full_sync) -> None:
    _, result, _ = full_sync
    for stream in AD_ENTITIES:
        statuses = Counter(record.get("status") for record in result.records[stream])
        assert {"ARCHIVED", "DRAFT"} <= set(statuses), (stream, statuses)


def test_child_records_carry_their_parent_ids(full_sync) -> None:
    sim, result, _ = full_sync
    accounts = {account["id"] for account in sim.dataset.ad_accounts}
    for stream in (*AD_ENTITIES, "keywords", "audiences", "customer_lists", "conversion_tags"):
        assert {record["ad_account_id"] for record in result.records[stream]} <= accounts
    sections = _by_id(sim.dataset.board_sections)
    for record in result.records["board_section_pins"]:
        assert sections[record["board_section_id"]]["board_id"] == record["board_id"]
    boards = {board["id"] for board in sim.dataset.boards}
    assert {record["board_id"] for record in result.records["board_sections"]} <= boards
    levels = Counter(
        "ad_group" if k["ad_group_id"] else "campaign" if k["campaign_id"] else "account"
        for k in result.records["keywords"]
    )
    assert set(levels) == {"ad_group", "campaign", "account"}, levels


def test_calls_equal_the_sum_of_pages_over_every_list_call(full_sync) -> None:
    sim, _, counts = full_sync
    data = sim.dataset
    accounts = data.ad_accounts
    per_account = {
        entity: Counter(record["ad_account_id"] for record in data.get(entity))
        for entity in ("campaigns", "ad_groups", "ads", "audiences", "customer_lists")
    }
    keywords_by_parent = Counter(k["parent_id"] for k in data.keywords)
    sections_by_board = Counter(s["board_id"] for s in data.board_sections)
    pins_by_board = Counter(p["board_id"] for p in data.pins)
    pins_by_section = Counter(p["board_section_id"] for p in data.pins if p["board_section_id"])

    def keyword_calls(account: dict) -> int:
        campaigns = [c for c in data.campaigns if c["ad_account_id"] == account["id"]]
        groups = [g for g in data.ad_groups if g["ad_account_id"] == account["id"]]
        batches = [groups[i : i + 250] for i in range(0, len(groups), 250)]
        return (
            pages(keywords_by_parent[account["id"]])
            + sum(pages(keywords_by_parent[c["id"]]) for c in campaigns)
            + sum(pages(sum(keywords_by_parent[g["id"]] for g in batch)) for batch in batches)
        )

    account_route = "/v5/ad_accounts/{ad_account_id}"
    expected = {
        "/v5/user_account": 1,
        "/v5/ad_accounts": pages(len(accounts)),
        **{
            f"{account_route}/{entity}": sum(pages(per_account[entity][a["id"]]) for a in accounts)
            for entity in per_account
        },
        f"{account_route}/conversion_tags": len(accounts),
        f"{account_route}/keywords": sum(keyword_calls(a) for a in accounts),
        "/v5/boards": pages(len(data.boards)),
        "/v5/boards/{board_id}/sections": sum(
            pages(sections_by_board[b["id"]]) for b in data.boards
        ),
        "/v5/boards/{board_id}/pins": sum(pages(pins_by_board[b["id"]]) for b in data.boards),
        "/v5/boards/{board_id}/sections/{section_id}/pins": sum(
            pages(pins_by_section[s["id"]]) for s in data.board_sections
        ),
        "/v5/pins": pages(len(data.pins)),
        "/v5/catalogs": pages(len(data.catalogs)),
        "/v5/catalogs/feeds": pages(len(data.catalogs_feeds)),
        "/v5/catalogs/product_groups": pages(len(data.catalogs_product_groups)),
    }
    lists = {route: n for (_, route), n in counts.items() if not route.endswith("analytics")}
    assert lists == expected
    # A list of more than 250 records exists, so paging is really exercised.
    assert max(pins_by_board.values()) > 250


def test_every_list_request_asks_for_250(full_sync) -> None:
    sim, _, _ = full_sync
    entries = sim.request_log.entries()
    assert entries
    for entry in entries:
        if entry.route.endswith(("conversion_tags", "user_account", "analytics")):
            continue
        assert entry.query.get("page_size") == ["250"], entry


def test_state_keeps_one_bookmark_per_ad_account_and_nothing_per_board(full_sync) -> None:
    sim, result, _ = full_sync
    bookmarks = result.final_state["bookmarks"]
    accounts = sorted(account["id"] for account in sim.dataset.ad_accounts)
    for stream in AD_ENTITIES:
        partitions = bookmarks[stream]["partitions"]
        assert sorted(p["context"]["ad_account_id"] for p in partitions) == accounts
        assert all(set(p["context"]) == {"ad_account_id"} for p in partitions)
        newest = {}
        for record in result.records[stream]:
            account = record["ad_account_id"]
            newest[account] = max(newest.get(account, 0), record["updated_time"])
        assert {
            p["context"]["ad_account_id"]: p["replication_key_value"] for p in partitions
        } == newest
    for stream in ("board_pins", "board_sections", "board_section_pins", "keywords"):
        assert "partitions" not in bookmarks.get(stream, {}), stream


def test_incremental_run_emits_only_changed_entities(sim: Simulator) -> None:
    first = run_tap(sim_config(sim))
    second = run_tap(sim_config(sim), state=first.final_state)
    for stream in AD_ENTITIES:
        # Records updated exactly at the bookmark are re-emitted (at-or-after), no others.
        newest = {
            p["replication_key_value"] for p in first.final_state["bookmarks"][stream]["partitions"]
        }
        assert all(r["updated_time"] in newest for r in second.records[stream]), stream
    changed = sim.mutate("campaigns", 5)
    third = run_tap(sim_config(sim), state=second.final_state)
    emitted = {
        r["id"]
        for r in third.records["campaigns"]
        if r["updated_time"]
        > min(
            p["replication_key_value"]
            for p in second.final_state["bookmarks"]["campaigns"]["partitions"]
        )
    }
    assert set(changed) <= emitted
    renamed = _by_id(third.records["campaigns"])
    current = _by_id(sim.dataset.campaigns)
    for campaign_id in changed:
        assert renamed[campaign_id]["name"] == current[campaign_id]["name"]
    assert len(third.records["campaigns"]) <= 5 + len(sim.dataset.ad_accounts)
    # Incremental sync still reads every page: it saves rows, not calls.
    assert len(third.records["boards"]) == len(sim.dataset.boards)


def test_start_date_bounds_the_first_run(sim: Simulator) -> None:
    times = sorted(c["updated_time"] for c in sim.dataset.campaigns)
    cutoff = times[len(times) // 2]
    start_date = dt.datetime.fromtimestamp(cutoff, dt.UTC).date().isoformat()
    bound = int(dt.datetime.fromisoformat(start_date).replace(tzinfo=dt.UTC).timestamp())
    result = run_tap(sim_config(sim, start_date=start_date), streams=["campaigns"])
    assert sorted(r["id"] for r in result.records["campaigns"]) == sorted(
        c["id"] for c in sim.dataset.campaigns if c["updated_time"] >= bound
    )
    assert set(result.records) == {"campaigns"}


def test_entity_statuses_narrow_the_request(sim: Simulator) -> None:
    result = run_tap(sim_config(sim, entity_statuses=["ACTIVE"]), streams=["campaigns"])
    assert result.records["campaigns"]
    assert {r["status"] for r in result.records["campaigns"]} == {"ACTIVE"}


def test_ad_account_ids_select_accounts(sim: Simulator) -> None:
    wanted = sim.dataset.ad_accounts[1]["id"]
    result = run_tap(sim_config(sim, ad_account_ids=[wanted]), streams=["ad_accounts", "campaigns"])
    assert [r["id"] for r in result.records["ad_accounts"]] == [wanted]
    assert {r["ad_account_id"] for r in result.records["campaigns"]} == {wanted}


def test_an_inaccessible_ad_account_fails_the_sync(sim: Simulator) -> None:
    with pytest.raises(Exception, match=r"ad_account_ids: 999999999 not accessible"):
        run_tap(sim_config(sim, ad_account_ids=["999999999"]), streams=["ad_accounts"])


def test_keywords_fall_back_to_one_call_per_ad_group(sim: Simulator) -> None:
    batched = run_tap(sim_config(sim), streams=["keywords"])
    sim.keywords_ad_group_ids_supported = False
    sim.request_log.reset()
    fallback = run_tap(sim_config(sim), streams=["keywords"])
    assert sorted(fallback.ids("keywords")) == sorted(batched.ids("keywords"))
    queries = [e.query for e in sim.request_log.entries() if e.route.endswith("/keywords")]
    per_group = [q for q in queries if "ad_group_id" in q]
    assert len(per_group) >= len(sim.dataset.ad_groups)
    # Refused once, then never asked again in the same run.
    assert sum("ad_group_ids" in q for q in queries) == 1


def test_board_privacy_setting_is_sent(sim: Simulator) -> None:
    result = run_tap(sim_config(sim, board_privacy="PUBLIC"), streams=["boards"])
    assert {b["privacy"] for b in result.records["boards"]} == {"PUBLIC"}
    assert len(result.records["boards"]) < len(sim.dataset.boards)


def test_requests_identify_the_tap(shared_sim: Simulator) -> None:
    stream = TapPinterest(config=sim_config(shared_sim)).streams["boards"]
    request = stream.build_prepared_request(method="GET", url=f"{shared_sim.base_url}/boards")
    assert request.headers["User-Agent"].startswith("tap-pinterest/")
