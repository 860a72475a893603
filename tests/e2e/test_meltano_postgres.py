"""The real thing: `meltano run tap-pinterest target-postgres` against the simulator.

Needs PostgreSQL on 127.0.0.1:5432 with trust auth and a database `test` (override
with E2E_POSTGRES_DSN). Where none is reachable the test says so and skips; under
CI=true it fails instead, because CI always has one.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
from conftest import expected_records
from singer_run import meltano_run

from tap_pinterest.simulator import Simulator

psycopg = pytest.importorskip("psycopg")
from psycopg import sql  # noqa: E402
from warehouse import connect  # noqa: E402

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def database() -> Iterator[psycopg.Connection]:
    with connect() as connection:
        yield connection


@pytest.fixture(scope="module")
def pipeline(database, tmp_path_factory) -> Iterator[dict]:
    """A simulator, a throw-away schema and Meltano system database, and a runner."""
    schema = f"tap_pinterest_e2e_{uuid.uuid4().hex[:8]}"
    workdir = tmp_path_factory.mktemp("meltano")
    with Simulator(seed=31, scale=1) as sim:
        env = {
            **os.environ,
            "TAP_PINTEREST_API_URL": sim.base_url,
            "TAP_PINTEREST_ACCESS_TOKEN": sim.access_token,
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema,
            "MELTANO_DATABASE_URI": f"sqlite:///{workdir / 'meltano.db'}",
        }

        def run() -> subprocess.CompletedProcess:
            return meltano_run("target-postgres", env)

        try:
            yield {"sim": sim, "schema": schema, "run": run}
        finally:
            database.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
            )


def _query(database, template: str, schema: str, table: str, *params) -> list[tuple]:
    """Run ``template`` with ``{}`` standing for the table, quoted as an identifier."""
    statement = sql.SQL(template).format(sql.Identifier(schema, table))
    return database.execute(statement, params).fetchall()


def _ids(database, schema: str, table: str) -> list[str]:
    return sorted(str(row[0]) for row in _query(database, "SELECT id FROM {}", schema, table))


def test_meltano_run_loads_exactly_the_simulators_records(database, pipeline) -> None:
    sim, schema, run = pipeline["sim"], pipeline["schema"], pipeline["run"]
    expected = expected_records(sim.dataset)

    run()
    for stream, records in expected.items():
        assert _ids(database, schema, stream) == sorted(r["id"] for r in records), stream

    # A second run (incremental from Meltano's state) leaves no duplicates.
    run()
    for stream, records in expected.items():
        ((total, distinct),) = _query(
            database, "SELECT count(*), count(DISTINCT id) FROM {}", schema, stream
        )
        assert total == distinct == len(records), stream

    # After 5 campaigns change, the incremental run loads just those, plus the
    # campaigns that sit exactly on their account's bookmark (the bound is inclusive).
    before = {c["id"]: c["updated_time"] for c in sim.dataset.campaigns}
    bookmark = {}
    for campaign in sim.dataset.campaigns:
        account = campaign["ad_account_id"]
        bookmark[account] = max(bookmark.get(account, 0), campaign["updated_time"])
    on_bookmark = {
        c["id"] for c in sim.dataset.campaigns if before[c["id"]] == bookmark[c["ad_account_id"]]
    }
    changed = set(sim.mutate("campaigns", 5))
    started = time.time()
    run()
    loaded = _query(
        database,
        "SELECT id, name FROM {} WHERE _sdc_extracted_at >= to_timestamp(%s)",
        schema,
        "campaigns",
        started - 1,
    )
    assert {row[0] for row in loaded} == changed | on_bookmark
    names = dict(_query(database, "SELECT id, name FROM {}", schema, "campaigns"))
    current = {c["id"]: c["name"] for c in sim.dataset.campaigns}
    for campaign_id in changed:
        assert names[campaign_id] == current[campaign_id]
    assert len(names) == len(sim.dataset.campaigns)


def test_restated_analytics_days_are_upserted_in_place(database, pipeline) -> None:
    sim, schema, run = pipeline["sim"], pipeline["schema"], pipeline["run"]
    run()
    today = dt.datetime.now(dt.UTC).date()
    start = today - dt.timedelta(days=89)
    account_ids = {a["id"]: a for a in sim.dataset.ad_accounts}
    expected = {}
    for account in account_ids:
        ids = [c["id"] for c in sim.dataset.campaigns if c["ad_account_id"] == account]
        rows = sim.analytics.rows(
            "CAMPAIGN", ids, start, today, granularity="DAY", columns=["TOTAL_CONVERSIONS"]
        )
        for row in rows:
            expected[row["CAMPAIGN_ID"], row["DATE"]] = row.get("TOTAL_CONVERSIONS")

    def loaded() -> dict:
        rows = _query(
            database,
            "SELECT campaign_id, date::text, total_conversions FROM {}",
            schema,
            "campaign_analytics",
        )
        return {(r[0], r[1]): (int(r[2]) if r[2] is not None else None) for r in rows}

    before = loaded()
    assert before == expected

    restated = today - dt.timedelta(days=3)
    sim.analytics.restate(restated)
    run()
    after = loaded()
    ((total, distinct),) = _query(
        database,
        "SELECT count(*), count(DISTINCT (campaign_id, date)) FROM {}",
        schema,
        "campaign_analytics",
    )
    assert total == distinct == len(before)
    changed = {key for key in after if after[key] != before[key]}
    assert changed
    assert {date for _, date in changed} == {restated.isoformat()}


def test_records_deleted_at_pinterest_are_deleted_from_the_warehouse(database, pipeline) -> None:
    """ACTIVATE_VERSION (meltano.yml turns it on) after each full-table stream."""
    sim, schema, run = pipeline["sim"], pipeline["schema"], pipeline["run"]
    run()
    with sim.dataset.lock:
        board = sim.dataset.boards.pop()
        gone = {p["id"] for p in sim.dataset.pins if p["board_id"] == board["id"]}
        sim.dataset.pins[:] = [p for p in sim.dataset.pins if p["id"] not in gone]
        sim.dataset.board_sections[:] = [
            s for s in sim.dataset.board_sections if s["board_id"] != board["id"]
        ]
        sim.dataset.reindex()
    assert gone
    run()
    assert _ids(database, schema, "boards") == sorted(b["id"] for b in sim.dataset.boards)
    assert _ids(database, schema, "board_pins") == sorted(p["id"] for p in sim.dataset.pins)
    ((left,),) = _query(database, "SELECT count(*) FROM {} WHERE board_id = %s", schema,
                        "board_sections", board["id"])  # fmt: skip
    assert left == 0
