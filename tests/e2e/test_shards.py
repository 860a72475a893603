"""Sharded `meltano run`s into one PostgreSQL mirror and one target-postgres schema.

The layout of docs/scaling-out.md, with the plugins meltano.yml ships for it: one
`tap-pinterest--user` job, and one `tap-pinterest--accounts` job per ad account (its
`ad_account_ids` and `--state-id-suffix`), into `target-pinterest-mirror` and into
`target-postgres--shards` (each shard's full-table streams in tables of its own, named by
PINTEREST_SHARD). The shards run in turn, then records are deleted at the simulator, then
the shards run at once; both times they must leave what one unsharded sync leaves.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest import expected_records
from singer_run import MELTANO, REPO

from tap_pinterest.mirror.db.store import table_name_for
from tap_pinterest.simulator import Simulator

psycopg = pytest.importorskip("psycopg")
from psycopg import sql  # noqa: E402
from warehouse import DSN, connect  # noqa: E402

pytestmark = pytest.mark.e2e

#: The full-table streams of the ad-account tree: target-postgres--shards gives each
#: shard tables of its own for them (meltano.yml).
SHARD_TABLES = ("ad_accounts", "keywords", "audiences", "customer_lists", "conversion_tags")
ANALYTICS = ("ad_account_analytics", "campaign_analytics", "ad_group_analytics", "ad_analytics")
ANALYTICS_KEYS = {
    "ad_account_analytics": ("ad_account_id", "date"),
    "campaign_analytics": ("campaign_id", "date"),
    "ad_group_analytics": ("ad_group_id", "date"),
    "ad_analytics": ("ad_id", "date"),
}
MIRROR_PG = "postgresql+psycopg://{host}:{port}/{dbname}?user={user}"


def _mirror_url(schema: str) -> str:
    parts = dict(item.split("=", 1) for item in DSN.split())
    base = MIRROR_PG.format(
        host=parts.get("host", "127.0.0.1"),
        port=parts.get("port", "5432"),
        dbname=parts.get("dbname", "test"),
        user=parts.get("user", "postgres"),
    )
    return f"{base}&options=-csearch_path%3D{schema},public"


class Pipelines:
    """Meltano runs against one simulator, into PostgreSQL schemas made for the test."""

    def __init__(self, sim: Simulator, database: Any, workdir: Path) -> None:
        self.sim = sim
        self.database = database
        self.workdir = workdir
        self.schemas: list[str] = []

    def schema(self, label: str) -> str:
        name = f"tap_pinterest_{label}_{uuid.uuid4().hex[:8]}"
        self.database.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        self.schemas.append(name)
        return name

    def project(self, name: str) -> Path:
        """A directory of its own for one job, as each job of an orchestrator has (a
        container, a checkout): parallel `meltano run`s of one plugin in one project
        share its catalog file (`.meltano/run/<plugin>/`). The project file is the
        shipped one, copied; the plugins' virtualenvs are the repository's, linked."""
        root = self.workdir / "projects" / name
        if not root.exists():
            (root / ".meltano").mkdir(parents=True)
            shutil.copyfile(REPO / "meltano.yml", root / "meltano.yml")
            for kind in ("extractors", "loaders"):
                (root / ".meltano" / kind).symlink_to(REPO / ".meltano" / kind)
        return root

    def run(self, job: dict[str, Any]) -> None:
        """One `meltano run`: `job` names the plugins, the target's schema, the Meltano
        system database (the state store), and the shard's accounts and name."""
        env = {
            **os.environ,
            "TAP_PINTEREST_API_URL": self.sim.base_url,
            "TAP_PINTEREST_ACCESS_TOKEN": self.sim.access_token,
            "MELTANO_DATABASE_URI": f"sqlite:///{self.workdir / job['system_db']}",
        }
        if job["loader"].startswith("target-postgres"):
            env["TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA"] = job["schema"]
        else:
            env["TARGET_PINTEREST_MIRROR_DATABASE_URL"] = _mirror_url(job["schema"])
        args = [job["tap"], job["loader"]]
        if "shard" in job:
            env["PINTEREST_SHARD"] = job["shard"]
            env["TAP_PINTEREST__ACCOUNTS_AD_ACCOUNT_IDS"] = json.dumps([job["account"]])
            args = ["--state-id-suffix", job["shard"], *args]
        result = subprocess.run(
            [str(MELTANO), "run", *args],
            cwd=self.project(f"{job['loader']}-{job.get('shard', job['tap'])}"),
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert result.returncode == 0, f"{job}: {result.stderr[-4000:]}"

    def sharded_jobs(self, warehouse: str, mirror: str) -> list[list[dict[str, Any]]]:
        """Per target, the user's job then one job per ad account, in order."""
        accounts = [a["id"] for a in self.sim.dataset.ad_accounts]
        out = []
        for loader, schema in (
            ("target-postgres--shards", warehouse),
            ("target-pinterest-mirror", mirror),
        ):
            user = "target-postgres" if loader.startswith("target-postgres") else loader
            jobs: list[dict[str, Any]] = [
                {"tap": "tap-pinterest--user", "loader": user, "schema": schema}
            ]
            jobs += [
                {"tap": "tap-pinterest--accounts", "loader": loader, "schema": schema,
                 "shard": f"shard{index}", "account": account}
                for index, account in enumerate(accounts, start=1)
            ]  # fmt: skip
            for job in jobs:
                job["system_db"] = f"{schema}.db"
            out.append(jobs)
        return out


def _trim(sim: Simulator) -> None:
    """Keep the test fast: 2 campaigns per account (with their ad groups, ads and
    keywords: the analytics rows follow) and 3 boards of 20 pins; all 3 accounts."""
    data = sim.dataset
    with data.lock:
        kept = set()
        for account in data.ad_accounts:
            mine = [c["id"] for c in data.campaigns if c["ad_account_id"] == account["id"]]
            kept |= set(mine[:2])
        data.campaigns[:] = [c for c in data.campaigns if c["id"] in kept]
        data.ad_groups[:] = [g for g in data.ad_groups if g["campaign_id"] in kept]
        groups = {g["id"] for g in data.ad_groups}
        data.ads[:] = [a for a in data.ads if a["ad_group_id"] in groups]
        data.keywords[:] = [k for k in data.keywords if k["parent_id"] in kept | groups]
        boards = {b["id"] for b in data.boards[:3]}
        data.boards[:] = data.boards[:3]
        data.board_sections[:] = [s for s in data.board_sections if s["board_id"] in boards]
        sections = {s["id"] for s in data.board_sections}
        data.pins[:] = [
            p
            for p in data.pins
            if p["board_id"] in boards and p["board_section_id"] in sections | {None}
        ][:60]
        data.reindex()


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipelines]:
    with connect() as database, Simulator(seed=37, scale=1) as sim:
        _trim(sim)
        runs = Pipelines(sim, database, tmp_path_factory.mktemp("meltano"))
        try:
            yield runs
        finally:
            for schema in runs.schemas:
                database.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
                )


def _rows(database: Any, schema: str, table: str, columns: tuple[str, ...]) -> list[tuple]:
    statement = sql.SQL("SELECT {} FROM {}").format(
        sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(c)) for c in columns),
        sql.Identifier(schema, table),
    )
    return sorted(database.execute(statement).fetchall())


def _warehouse(database: Any, schema: str, streams: list[str], shards: int = 0) -> dict:
    """Each stream's keys in a target-postgres schema; a sharded stream's over its
    shards' tables (`<stream>__shard<n>`)."""
    out: dict[str, list[tuple]] = {}
    for stream in streams:
        keys = ANALYTICS_KEYS.get(stream, ("id",))
        tables = [stream]
        if shards and stream in SHARD_TABLES:
            tables = [f"{stream}__shard{n}" for n in range(1, shards + 1)]
        out[stream] = sorted(
            row for table in tables for row in _rows(database, schema, table, keys)
        )
    return out


def _mirror(database: Any, schema: str, streams: list[str]) -> dict[str, list[tuple]]:
    """Each stream's keys in a mirror."""
    return {stream: _rows(database, schema, table_name_for(stream), ("_pk",)) for stream in streams}


def _expected(sim: Simulator) -> dict[str, list[tuple]]:
    """The ids of every entity stream's records at the simulator now."""
    return {s: sorted((r["id"],) for r in rs) for s, rs in expected_records(sim.dataset).items()}


def _delete_at_pinterest(sim: Simulator) -> dict[str, set[str]]:
    """Records deleted in each shard's accounts and in the user's boards, as users would:
    an audience of the first account, every customer list of the second (it is left
    with none), a conversion tag of the third, and a board with its sections and pins."""
    data = sim.dataset
    first, second, third = (a["id"] for a in data.ad_accounts)
    with data.lock:
        board = data.boards[0]["id"]
        picks = {
            "audiences": {next(a["id"] for a in data.audiences if a["ad_account_id"] == first)},
            "customer_lists": {
                c["id"] for c in data.customer_lists if c["ad_account_id"] == second
            },
            "conversion_tags": {
                next(t["id"] for t in data.conversion_tags if t["ad_account_id"] == third)
            },
            "boards": {board},
            "board_sections": {s["id"] for s in data.board_sections if s["board_id"] == board},
            "pins": {p["id"] for p in data.pins if p["board_id"] == board},
        }
        for entity, ids in picks.items():
            assert ids, entity
            records = data.get(entity)
            records[:] = [r for r in records if r["id"] not in ids]
        data.reindex()
    return picks


def test_shards_in_turn_then_at_once_leave_what_an_unsharded_sync_leaves(
    pipelines: Pipelines,
) -> None:
    runs, database, sim = pipelines, pipelines.database, pipelines.sim
    warehouse, mirror = runs.schema("shards"), runs.schema("shards_mirror")
    jobs = runs.sharded_jobs(warehouse, mirror)
    shards = len(jobs[0]) - 1
    assert shards == 3

    # In turn: the user's job, then each shard's (the two targets side by side).
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda sequence: [runs.run(job) for job in sequence], jobs))
    expected = _expected(sim)
    streams = [*expected, *ANALYTICS]
    loaded = _warehouse(database, warehouse, streams, shards)
    assert {s: loaded[s] for s in expected} == expected
    assert {s: _mirror(database, mirror, streams)[s] for s in expected} == expected

    deleted = _delete_at_pinterest(sim)

    # At once: all eight jobs together, then one unsharded sync into each target.
    with ThreadPoolExecutor(max_workers=len(jobs[0]) * 2) as pool:
        list(pool.map(runs.run, [job for sequence in jobs for job in sequence]))
    whole, whole_mirror = runs.schema("unsharded"), runs.schema("unsharded_mirror")
    unsharded = [
        {"tap": "tap-pinterest", "loader": loader, "schema": schema, "system_db": f"{schema}.db"}
        for loader, schema in (
            ("target-postgres", whole),
            ("target-pinterest-mirror", whole_mirror),
        )
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(runs.run, unsharded))

    after = _warehouse(database, warehouse, streams, shards)
    assert after == _warehouse(database, whole, streams)
    assert _mirror(database, mirror, streams) == _mirror(database, whole_mirror, streams)
    for entity, ids in deleted.items():
        stream = "board_pins" if entity == "pins" else entity
        assert not {(i,) for i in ids} & set(after[stream]), stream
    assert {s: after[s] for s in expected} == _expected(sim)
    for stream in ANALYTICS:
        assert after[stream], stream

    # Each shard kept its own state (meltano run --state-id-suffix).
    states = subprocess.run(
        [str(MELTANO), "state", "list"],
        cwd=runs.project("state"),
        env={**os.environ, "MELTANO_DATABASE_URI": f"sqlite:///{runs.workdir / f'{warehouse}.db'}"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert {
        f"dev:tap-pinterest--accounts-to-target-postgres--shards:shard{n}" for n in (1, 2, 3)
    } <= set(states)
