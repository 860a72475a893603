"""Sharded syncs into one mirror: taps that each sync some ad accounts (`ad_account_ids`)
leave, together, what one unsharded sync leaves; each shard's ACTIVATE_VERSION deletes
only within its own accounts (see docs/scaling-out.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine

from tap_pinterest.mirror import Mirror
from tap_pinterest.mirror.db.errors import InputError
from tap_pinterest.simulator import Simulator
from tests.conftest import sim_config
from tests.mirror.conftest import ITEMS_SCHEMA, item, record_message, run_target, schema_message
from tests.singer_run import run_tap

#: The full-table streams of the ad-account tree, and the mirror's record counts of them.
ACCOUNT_STREAMS = ["ad_accounts", "keywords", "audiences", "customer_lists", "conversion_tags"]
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def shard_sim() -> Iterator[Simulator]:
    with Simulator(seed=23, scale=1) as sim:
        yield sim


class Clock:
    """Each run starts a minute after the last, so each has its own table version (the
    SDK's version is the run's start in seconds: runs in one second would share one)."""

    def __init__(self) -> None:
        self.runs = 0

    def next_run(self) -> time_machine.travel:
        self.runs += 1
        return time_machine.travel(START + dt.timedelta(minutes=self.runs), tick=True)


def _sync(url: str, sim: Simulator, clock: Clock, accounts: list[str]) -> None:
    """One tap run (of `accounts`, or every account) into the mirror at `url`."""
    config = sim_config(sim, emit_activate_version_messages=True, ad_account_ids=accounts)
    with clock.next_run():
        result = run_tap(config, streams=ACCOUNT_STREAMS)
    run_target(url, result.messages)


def _held(url: str) -> dict[str, set[str]]:
    with Mirror(url) as mirror:
        out = {}
        for stream in ACCOUNT_STREAMS:
            page = mirror.search(stream, limit=1000, fields=["id"])
            assert not page["meta"]["has_more"]
            out[stream] = {row["id"] for row in page["data"]}
        return out


def _expected(sim: Simulator) -> dict[str, set[str]]:
    """The ids an unsharded sync leaves: the records under the accounts that still exist."""
    dataset = sim.dataset
    accounts = {a["id"] for a in dataset.ad_accounts}
    out = {"ad_accounts": accounts}
    for stream in ACCOUNT_STREAMS[1:]:
        out[stream] = {r["id"] for r in dataset.get(stream) if r["ad_account_id"] in accounts}
    return out


def _delete(sim: Simulator, entity: str, gone: Callable[[dict[str, Any]], bool]) -> set[str]:
    """Delete the records of `entity` that `gone` picks, as a user at Pinterest would."""
    with sim.dataset.lock:
        records = sim.dataset.get(entity)
        deleted = {r["id"] for r in records if gone(r)}
        records[:] = [r for r in records if r["id"] not in deleted]
        sim.dataset.reindex()
    assert deleted
    return deleted


def test_shards_in_turn_leave_what_one_unsharded_sync_leaves(
    db_url: str, shard_sim: Simulator
) -> None:
    clock = Clock()
    accounts = [a["id"] for a in shard_sim.dataset.ad_accounts]
    assert len(accounts) == 3
    for account in accounts:
        _sync(db_url, shard_sim, clock, [account])
    assert _held(db_url) == _expected(shard_sim)
    # each shard again, in another order: still nothing lost
    for account in reversed(accounts):
        _sync(db_url, shard_sim, clock, [account])
    assert _held(db_url) == _expected(shard_sim)


def test_a_shards_deletions_reach_the_mirror_and_stay_in_its_accounts(
    db_url: str, shard_sim: Simulator
) -> None:
    clock = Clock()
    first, second, third = (a["id"] for a in shard_sim.dataset.ad_accounts)
    for account in (first, second, third):
        _sync(db_url, shard_sim, clock, [account])
    # In the first account: one audience is deleted, and every one of its customer lists
    # (a partition left with no records at all). In the second: a conversion tag.
    audience = next(a["id"] for a in shard_sim.dataset.audiences if a["ad_account_id"] == first)
    _delete(shard_sim, "audiences", lambda r: r["id"] == audience)
    _delete(shard_sim, "customer_lists", lambda r: r["ad_account_id"] == first)
    tag = _delete(shard_sim, "conversion_tags", lambda r: r["ad_account_id"] == second)
    # the third shard's sync removes nothing of the others' (nor their deleted records)
    _sync(db_url, shard_sim, clock, [third])
    held = _held(db_url)
    assert audience in held["audiences"]
    assert tag <= held["conversion_tags"]
    # the first shard's next sync removes its deleted records, and only those
    _sync(db_url, shard_sim, clock, [first])
    held = _held(db_url)
    expected = _expected(shard_sim)
    assert held["audiences"] == expected["audiences"]
    assert held["customer_lists"] == expected["customer_lists"]
    assert held["conversion_tags"] == expected["conversion_tags"] | tag
    _sync(db_url, shard_sim, clock, [second])
    assert _held(db_url) == _expected(shard_sim)


def test_an_unsharded_sync_still_deletes_across_every_account(
    db_url: str, shard_sim: Simulator
) -> None:
    """Without `ad_account_ids` the sync covers every account: its ACTIVATE_VERSION deletes
    any older row of the stream, as before (an account no longer accessible included)."""
    clock = Clock()
    _sync(db_url, shard_sim, clock, [])
    (account,) = _delete(shard_sim, "ad_accounts", lambda r: r is shard_sim.dataset.ad_accounts[0])
    _sync(db_url, shard_sim, clock, [])
    held = _held(db_url)
    assert held == _expected(shard_sim)
    assert account not in held["ad_accounts"]


def _scoped(version: int, records: list[dict[str, Any]], scope: Any) -> list[dict[str, Any]]:
    messages = [schema_message("items", ITEMS_SCHEMA, ["id"])]
    messages += [record_message("items", r, version) for r in records]
    return [
        *messages,
        {"type": "ACTIVATE_VERSION", "stream": "items", "version": version, "scope": scope},
    ]


def test_a_scope_on_a_field_kept_only_in_the_record(db_url: str) -> None:
    """`owner` is an object (not a promoted column): the scope reads the record's JSON.
    Two fields both apply; a value may be an integer."""
    records = [item(i, owner=f"user{i % 3}", count=i % 2) for i in range(9)]
    run_target(db_url, _scoped(100, records, {"owner": ["user0"]}))
    run_target(db_url, _scoped(200, [records[3]], {"owner": ["user0", "user1"], "count": [1]}))
    with Mirror(db_url) as mirror:
        ids = {r["id"] for r in mirror.search("items", limit=100, fields=["id"])["data"]}
    # deleted: the older rows of user0 or user1 with count 1, except item003 (sent again)
    gone = {r["id"] for r in records if r["owner"] in {"user0", "user1"} and r["count"] == 1}
    assert ids == {r["id"] for r in records} - (gone - {"item003"})
    assert gone - {"item003"}


@pytest.mark.parametrize(
    "scope", [[], {}, {"ad_account_id": "1"}, {"": ["1"]}, {"f": [True]}, {"f": [{"x": 1}]}]
)
def test_a_malformed_scope_deletes_nothing_and_fails(tmp_path: Path, scope: Any) -> None:
    url = f"sqlite:///{tmp_path / 'mirror.db'}"
    run_target(url, _scoped(100, [item(i) for i in range(3)], None))
    # one line naming the input line and the stream (db.errors.InputError)
    with pytest.raises(InputError, match=r"line 2 of the input .*'scope' must map field names"):
        run_target(url, _scoped(200, [], scope))
    with Mirror(url) as mirror:
        assert mirror.stats()["items"]["records"] == 3
