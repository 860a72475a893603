"""Scheduled runs the way CI runs them: every run on a fresh runner.

A scheduled job (docs/scheduled-runs.md) starts each time from a fresh checkout with
no `.meltano/`: Meltano's system database is new, the plugin installs come back from
a cache, and only two things outlive a run: Meltano's state backend and the tap's
token file. Here every run gets a fresh copy of the project at one fixed path (a
runner's workspace path does not change), the plugin venvs that one `meltano install`
made at that path are restored into it, and the state backend and the token file
live outside the copies. The shipped meltano.yml is used as it is.

Needs PostgreSQL as tests/e2e/test_meltano_postgres.py does (E2E_POSTGRES_DSN).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from singer_run import MELTANO, REPO
from sqlalchemy.engine import URL

from tap_pinterest.simulator import Simulator

psycopg = pytest.importorskip("psycopg")
from psycopg import sql  # noqa: E402
from psycopg.conninfo import conninfo_to_dict  # noqa: E402
from warehouse import DSN, connect  # noqa: E402

DOC = REPO / "docs" / "scheduled-runs.md"

#: The commands of the workflow: install on a plugin-cache miss, then run.
INSTALL = ("meltano", "install", "tap-pinterest", "target-postgres")
RUN = ("meltano", "run", "tap-pinterest", "target-postgres")
#: What the plugin cache holds: the plugin venvs, never `.meltano/meltano.db`.
CACHED = (".meltano/extractors", ".meltano/loaders")
#: The state ID of `meltano run tap-pinterest target-postgres` in the shipped environment.
STATE_ID = "dev:tap-pinterest-to-target-postgres"
#: Every variable a scheduled run sets, as the workflow in the docs sets them.
RUNNER_ENV = (
    "TAP_PINTEREST_CLIENT_ID",
    "TAP_PINTEREST_CLIENT_SECRET",
    "TAP_PINTEREST_REFRESH_TOKEN",
    "TAP_PINTEREST_TOKEN_CACHE_PATH",
    "TARGET_POSTGRES_SQLALCHEMY_URL",
    "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA",
    "MELTANO_STATE_BACKEND_URI",
    "MELTANO_SEND_ANONYMOUS_USAGE_STATS",
    "MELTANO_CLI_DISABLE_VERSION_CHECK",
)
#: The one variable only the test sets: the simulator stands in for api.pinterest.com.
SIMULATOR_ENV = "TAP_PINTEREST_API_URL"
#: Variables of the outer environment that would change the runs' settings: dropped.
SETTING_PREFIXES = ("MELTANO_", "TAP_PINTEREST_", "TARGET_")
CAMPAIGNS_ROUTE = "/v5/ad_accounts/{ad_account_id}/campaigns"

pytestmark = pytest.mark.e2e


def _sqlalchemy_url(dsn: str) -> str:
    """The target's URL for the server ``dsn`` (a libpq string) points at."""
    params = conninfo_to_dict(dsn)
    return URL.create(
        "postgresql+psycopg",
        username=params.get("user"),
        password=params.get("password"),
        host=params.get("host"),
        port=int(params["port"]) if params.get("port") else None,
        database=params.get("dbname"),
    ).render_as_string(hide_password=False)


def _base_env() -> dict[str, str]:
    """The machine's environment without any Meltano, tap or target setting."""
    return {k: v for k, v in os.environ.items() if not k.startswith(SETTING_PREFIXES)}


def _offline() -> dict[str, str]:
    # Meltano's own switches (meltano.yml sets neither): no usage statistics and no
    # version check, so that Meltano reaches nothing beyond 127.0.0.1.
    return {
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
    }


@dataclass
class Runner:
    """A CI runner: a workspace at a fixed path, a plugin cache, and nothing else kept."""

    workspace: Path
    cache: Path

    def checkout(self) -> None:
        """A fresh copy of the project: the files git would check out, no `.meltano/`."""
        shutil.rmtree(self.workspace, ignore_errors=True)
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
        ).stdout.decode()
        for name in filter(None, listed.split("\0")):
            source = REPO / name
            if source.is_file():
                target = self.workspace / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target, follow_symlinks=False)
        assert not (self.workspace / ".meltano").exists()

    def fill_cache(self) -> None:
        """The first run's job: a cache miss, so install the plugins, then save them.

        The install reads uv's local cache only (UV_OFFLINE), the one scripts/setup.sh
        filled: the same packages a runner would download, without the network.
        """
        self.checkout()
        env = {**_base_env(), **_offline(), "UV_OFFLINE": "1"}
        result = subprocess.run(
            [str(MELTANO), *INSTALL[1:]],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, (
            "meltano install failed (run scripts/setup.sh first: it fills uv's cache)\n"
            + result.stderr[-4000:]
        )
        for name in CACHED:
            shutil.copytree(self.workspace / name, self.cache / name, symlinks=True)
        shutil.rmtree(self.workspace)

    def installed(self) -> dict[Path, int]:
        """When each restored plugin venv was installed (its Meltano fingerprint file)."""
        found = {}
        for name in CACHED:
            for path in (self.workspace / name).glob("*/venv/.meltano_plugin_fingerprint"):
                found[path] = path.stat().st_mtime_ns
        return found

    def run(self, env: dict[str, str]) -> subprocess.CompletedProcess:
        """One scheduled run: check out, restore the plugin cache, `meltano run`."""
        self.checkout()
        for name in CACHED:
            shutil.copytree(self.cache / name, self.workspace / name, symlinks=True)
        installed = self.installed()
        assert installed, "the plugin cache holds no plugin venv"
        result = subprocess.run(
            [str(MELTANO), *RUN[1:]],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        # Meltano used the restored venvs instead of installing the plugins again.
        assert self.installed() == installed
        return result


@pytest.fixture(scope="module")
def database() -> Iterator[psycopg.Connection]:
    with connect() as connection:
        yield connection


@pytest.fixture(scope="module")
def runner(database, tmp_path_factory) -> Runner:
    """A runner whose plugin cache one `meltano install` filled (once PostgreSQL is up)."""
    root = tmp_path_factory.mktemp("runner")
    runner = Runner(workspace=root / "work" / "tap-pinterest", cache=root / "cache")
    runner.fill_cache()
    return runner


@pytest.fixture
def schema(database) -> Iterator[str]:
    name = f"tap_pinterest_sched_{uuid.uuid4().hex[:8]}"
    try:
        yield name
    finally:
        database.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def _query(database, template: str, schema: str, *params) -> list[tuple]:
    """Run ``template`` with ``{}`` standing for the campaigns table."""
    statement = sql.SQL(template).format(sql.Identifier(schema, "campaigns"))
    return database.execute(statement, params).fetchall()


def _bookmarks(campaigns: list[dict[str, Any]]) -> dict[str, int]:
    """Each ad account's newest campaign update: what its bookmark must be."""
    newest: dict[str, int] = {}
    for campaign in campaigns:
        account = campaign["ad_account_id"]
        newest[account] = max(newest.get(account, 0), campaign["updated_time"])
    return newest


def _change_campaigns(sim: Simulator) -> set[str]:
    """Change five campaigns at Pinterest; return the ids the next run must load.

    Those five, plus the campaigns sitting exactly on their account's bookmark, since
    the bound is inclusive.
    """
    bookmark = _bookmarks(sim.dataset.campaigns)
    on_bookmark = {
        c["id"] for c in sim.dataset.campaigns if c["updated_time"] == bookmark[c["ad_account_id"]]
    }
    return set(sim.mutate("campaigns", 5)) | on_bookmark


def _stored(state_file: Path) -> dict[str, Any]:
    """The state in the backend, less the empty entries of full-table streams.

    Those entries carry nothing to resume from, and the SDK adds each one once its
    stream has run, so a run that fails early checkpoints a state without some.
    """
    state = json.loads(state_file.read_text())
    bookmarks = state["completed"]["singer_state"]["bookmarks"]
    state["completed"]["singer_state"]["bookmarks"] = {k: v for k, v in bookmarks.items() if v}
    return state


def _stored_campaign_bookmarks(state: dict[str, Any]) -> dict[str, int]:
    partitions = state["completed"]["singer_state"]["bookmarks"]["campaigns"]["partitions"]
    return {p["context"]["ad_account_id"]: p["replication_key_value"] for p in partitions}


def test_each_run_on_a_fresh_runner_resumes_from_the_state_backend(
    database, schema, runner, tmp_path
) -> None:
    state_dir = tmp_path / "state-backend"
    state_file = state_dir / STATE_ID / "state.json"
    token_file = tmp_path / "token-store" / "pinterest-token.json"
    # Access tokens live 4 minutes, so every run refreshes and the refresh token rotates.
    with Simulator(seed=23, scale=0.5, token_ttl=240) as sim:
        configured_refresh_token = sim.refresh_token
        env = {
            **_base_env(),
            **_offline(),
            SIMULATOR_ENV: sim.base_url,
            "TAP_PINTEREST_CLIENT_ID": sim.client_id,
            "TAP_PINTEREST_CLIENT_SECRET": sim.client_secret,
            "TAP_PINTEREST_REFRESH_TOKEN": configured_refresh_token,
            "TAP_PINTEREST_TOKEN_CACHE_PATH": str(token_file),
            "TARGET_POSTGRES_SQLALCHEMY_URL": _sqlalchemy_url(DSN),
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema,
            "MELTANO_STATE_BACKEND_URI": state_dir.as_uri(),
        }
        assert set(env) - set(_base_env()) == {*RUNNER_ENV, SIMULATOR_ENV}

        def check_token_kept() -> None:
            # The refresh token rotated at the start of the run, and the file kept it.
            text = token_file.read_text()
            assert sim.refresh_token in text and configured_refresh_token not in text

        def run() -> tuple[subprocess.CompletedProcess, set[str]]:
            """A run on a fresh runner, and the campaigns it loaded."""
            ((before,),) = _query(database, "SELECT max(_sdc_extracted_at) FROM {}", schema)
            result = runner.run(env)
            loaded = _query(
                database, "SELECT id FROM {} WHERE _sdc_extracted_at > %s", schema, before
            )
            check_token_kept()
            return result, {row[0] for row in loaded}

        def check_loaded_everything_as_pinterest_has_it() -> None:
            ((total, distinct),) = _query(
                database, "SELECT count(*), count(DISTINCT id) FROM {}", schema
            )
            assert total == distinct
            names = dict(_query(database, "SELECT id, name FROM {}", schema))
            assert names == {c["id"]: c["name"] for c in sim.dataset.campaigns}
            bookmarks = _stored_campaign_bookmarks(_stored(state_file))
            assert bookmarks == _bookmarks(sim.dataset.campaigns)

        # The first scheduled run: no state anywhere, so a full sync.
        first = runner.run(env)
        assert first.returncode == 0, first.stderr[-4000:]
        check_loaded_everything_as_pinterest_has_it()
        check_token_kept()

        # The second run, on a new runner, knows only the state backend: it is incremental.
        expected = _change_campaigns(sim)
        second, loaded = run()
        assert second.returncode == 0, second.stderr[-4000:]
        assert loaded == expected
        check_loaded_everything_as_pinterest_has_it()
        stored = _stored(state_file)

        # The third run hits the daily rate limit: a reset far past the shipped cap on
        # the wait, so it fails at once, and the stored state stays where it was.
        expected = _change_campaigns(sim)
        fault = sim.faults.script(
            CAMPAIGNS_ROUTE, status=429, headers={"X-RateLimit-Reset": "86400"}, times=None
        )
        third, loaded = run()
        assert third.returncode != 0
        assert fault.hits > 0 and "HTTP 429" in third.stderr, third.stderr[-4000:]
        assert loaded == set()
        assert _stored(state_file) == stored
        sim.faults.clear_scripts()

        # The fourth resumes from there: it loads what changed before the failed run.
        fourth, loaded = run()
        assert fourth.returncode == 0, fourth.stderr[-4000:]
        assert loaded == expected
        check_loaded_everything_as_pinterest_has_it()


def _workflow() -> dict[str, Any]:
    """The GitHub Actions workflow in docs/scheduled-runs.md (its one YAML block)."""
    text = DOC.read_text()
    blocks = text.split("```yaml\n")[1:]
    assert len(blocks) == 1, "docs/scheduled-runs.md should hold exactly one ```yaml block"
    return yaml.safe_load(blocks[0].split("\n```", 1)[0])


def test_the_documented_workflow_runs_what_this_test_runs() -> None:
    workflow = _workflow()
    # PyYAML reads the key `on` as the boolean True (YAML 1.1); GitHub reads it as "on".
    triggers = workflow.get("on", workflow.get(True))
    assert triggers["schedule"][0]["cron"]
    assert workflow["concurrency"]["cancel-in-progress"] is False
    (job,) = workflow["jobs"].values()
    env = {**workflow.get("env", {}), **job.get("env", {})}
    assert set(RUNNER_ENV) <= set(env)
    # No other tap, target or Meltano setting: the doc sets what the test runs with.
    assert {name for name in env if name.startswith(SETTING_PREFIXES)} == set(RUNNER_ENV)

    steps = job["steps"]
    commands = "\n".join(step.get("run", "") for step in steps)
    assert " ".join(INSTALL) in commands
    assert " ".join(RUN) in commands
    (cache,) = [s for s in steps if str(s.get("uses", "")).startswith("actions/cache@")]
    assert set(cache["with"]["path"].split()) == set(CACHED)
    (install,) = [s for s in steps if " ".join(INSTALL) in s.get("run", "")]
    assert install["if"] == f"steps.{cache['id']}.outputs.cache-hit != 'true'"
    # The token file is restored before the run, and saved after it even when it failed.
    (run,) = [i for i, s in enumerate(steps) if " ".join(RUN) in s.get("run", "")]
    token = [i for i, s in enumerate(steps) if "TAP_PINTEREST_TOKEN_CACHE_PATH" in s.get("run", "")]
    assert token[0] < run < token[-1]
    assert steps[token[-1]]["if"] == "always()"

    # Meltano with the extra its state backend needs, in a version this test ran.
    scheme = env["MELTANO_STATE_BACKEND_URI"].split("://", 1)[0]
    (pip,) = [line for line in commands.splitlines() if "pip install" in line]
    requirement = pip.split("pip install", 1)[1].strip().strip("'\"")
    extras, specifier = requirement.removeprefix("meltano[").split("]", 1)
    assert scheme in extras.split(",")
    assert metadata.version("meltano") in SpecifierSet(specifier)
    assert STATE_ID in DOC.read_text()
