"""The mirror's database URL: one default path, and every way opening fails as one line.

The target is run as users run it (`target-pinterest-mirror --config x.json < messages`):
its stderr must hold exactly one ERROR line, naming `database_url`, and no traceback,
unless LOGLEVEL=debug asks for it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from singer_run import own_lines

from tap_pinterest.mirror import DatabaseError, Mirror
from tap_pinterest.mirror.db import database
from tap_pinterest.mirror.load.target import TargetPinterestMirror
from tap_pinterest.mirror.serve.cli import DEFAULT_URL as CLI_DEFAULT

from .conftest import ITEMS_SCHEMA, item, record_message, schema_message

BIN = Path(sys.executable).parent
PASSWORD = "hunter2secret"  # made up; the output must never show it
REFUSED = f"postgresql+psycopg://mirror:{PASSWORD}@127.0.0.1:1/mirror"
MESSAGES = "".join(
    json.dumps(message) + "\n"
    for message in [schema_message("items", ITEMS_SCHEMA, ["id"]), record_message("items", item(1))]
)


def run_target(
    tmp_path: Path,
    config: dict[str, object],
    *,
    env: dict[str, str] | None = None,
    command: list[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    config_path = tmp_path / "mirror.json"
    config_path.write_text(json.dumps(config))
    environ = {k: v for k, v in os.environ.items() if "LOGLEVEL" not in k}
    return subprocess.run(
        [*(command or [str(BIN / "target-pinterest-mirror")]), "--config", str(config_path)],
        input=MESSAGES,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**environ, **(env or {})},
        check=False,
    )


def target_error(result: subprocess.CompletedProcess[str]) -> str:
    """The one ERROR line of a failed run (exit 1, no traceback, nothing on stdout)."""
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = own_lines(result.stderr)
    errors = [line for line in lines if "ERROR" in line]
    assert len(errors) == 1, result.stderr
    levels = {line.split("|")[1].strip() for line in lines}
    assert levels == {"INFO", "ERROR"}, result.stderr  # log lines only: no stray output
    message = errors[0].split("| ")[-1]
    assert message.startswith("database_url")
    assert PASSWORD not in result.stderr
    return message


# ---- the default path ---------------------------------------------------------------------


def test_the_target_and_the_command_line_share_one_default() -> None:
    assert database.DEFAULT_URL == "sqlite:///output/pinterest-mirror.db"
    assert CLI_DEFAULT is database.DEFAULT_URL
    settings = TargetPinterestMirror.own_settings
    assert settings["database_url"]["default"] == database.DEFAULT_URL
    assert Mirror().url == database.DEFAULT_URL


def test_the_target_creates_the_default_directory(tmp_path: Path) -> None:
    result = run_target(tmp_path, {})
    assert result.returncode == 0, result.stderr
    made = tmp_path / "output" / "pinterest-mirror.db"
    assert made.is_file()
    with Mirror(f"sqlite:///{made}") as mirror:
        assert mirror.stats()["items"]["records"] == 1


def test_the_target_creates_nested_directories(tmp_path: Path) -> None:
    file = tmp_path / "a" / "b" / "mirror.db"
    result = run_target(tmp_path, {"database_url": f"sqlite:///{file}"})
    assert result.returncode == 0, result.stderr
    assert file.is_file()


def test_a_reader_creates_nothing(tmp_path: Path) -> None:
    with Mirror(f"sqlite:///{tmp_path / 'missing' / 'mirror.db'}") as mirror:
        assert mirror.open().entities() == []
        assert mirror.stats() == {}
    assert list(tmp_path.iterdir()) == []


# ---- one line per error, from the target ---------------------------------------------------


def test_unparsable_url(tmp_path: Path) -> None:
    message = target_error(run_target(tmp_path, {"database_url": f"nothing:{PASSWORD}"}))
    assert "is not a database URL" in message
    assert "sqlite:///" in message
    assert "postgresql+psycopg://" in message


def test_unknown_scheme(tmp_path: Path) -> None:
    url = f"mysql://mirror:{PASSWORD}@127.0.0.1/mirror"
    message = target_error(run_target(tmp_path, {"database_url": url}))
    assert "database_url mysql://mirror:***@127.0.0.1/mirror: unsupported scheme 'mysql'" in message
    assert "MySQLdb" not in message
    assert "sqlite:///<file>" in message
    assert "postgresql+psycopg://" in message


def test_unreachable_postgresql(tmp_path: Path) -> None:
    message = target_error(run_target(tmp_path, {"database_url": REFUSED}))
    assert message.startswith("database_url postgresql+psycopg://mirror:***@127.0.0.1:1/mirror:")
    assert "cannot connect to PostgreSQL at 127.0.0.1:1" in message
    assert "refused" in message.lower()


def test_missing_postgresql_driver(tmp_path: Path) -> None:
    # the target's own entry point, in a Python where psycopg cannot be imported
    launcher = (
        "import sys; sys.modules['psycopg'] = None; "
        "from tap_pinterest.mirror.load.target import TargetPinterestMirror; "
        "TargetPinterestMirror.cli()"
    )
    result = run_target(
        tmp_path, {"database_url": REFUSED}, command=[sys.executable, "-c", launcher]
    )
    message = target_error(result)
    assert "the PostgreSQL driver psycopg cannot be loaded" in message
    assert 'pip install "tap-pinterest[postgres]"' in message


def test_sqlite_file_that_is_not_a_database(tmp_path: Path) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("these are notes, not a database\n" * 100)
    message = target_error(run_target(tmp_path, {"database_url": f"sqlite:///{file}"}))
    assert f"cannot open the SQLite file {file}" in message
    assert "not a database" in message
    assert file.read_text().startswith("these are notes")  # left as it was


def test_sqlite_directory_that_cannot_be_made(tmp_path: Path) -> None:
    (tmp_path / "plain-file").write_text("")
    url = f"sqlite:///{tmp_path / 'plain-file' / 'mirror.db'}"
    message = target_error(run_target(tmp_path, {"database_url": url}))
    assert f"cannot create the directory {tmp_path / 'plain-file'}" in message


def test_the_traceback_is_logged_at_debug_level(tmp_path: Path) -> None:
    result = run_target(
        tmp_path,
        {"database_url": REFUSED},
        env={"TARGET_PINTEREST_MIRROR_LOGLEVEL": "debug"},
    )
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "sqlalchemy.exc.OperationalError" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].split("| ")[-1].startswith("database_url")
    assert PASSWORD not in result.stderr


# ---- a mirror made by another layout ------------------------------------------------------

#: A mirror as the layout before `mirror_layout` made it (what main wrote until then).
OLD_LAYOUT = (
    "CREATE TABLE mirror_streams (stream TEXT PRIMARY KEY, table_name TEXT NOT NULL, "
    "key_properties TEXT NOT NULL, json_schema TEXT NOT NULL, columns TEXT NOT NULL, "
    "generation INTEGER NOT NULL, last_loaded_at TEXT)",
    "CREATE TABLE mirror_items (_rowid INTEGER PRIMARY KEY, _pk TEXT NOT NULL UNIQUE, "
    "_version BIGINT, _record JSON NOT NULL, f_created_at TEXT)",
    "CREATE INDEX mirror_items__created_at ON mirror_items (f_created_at, _pk)",
    "INSERT INTO mirror_streams VALUES ('items', 'mirror_items', '[\"id\"]', "
    '\'{"properties": {"id": {"type": "string"}}}\', \'{"created_at": "string"}\', 1, NULL)',
    "INSERT INTO mirror_items VALUES (1, 'item001', NULL, '{\"id\": \"item001\"}', NULL)",
)
EARLIER = (
    "this mirror was made by an earlier layout; rebuild this mirror (delete it and run a full sync)"
)


def test_a_mirror_of_an_earlier_layout_is_refused_everywhere(tmp_path: Path) -> None:
    file = tmp_path / "old.db"
    with sqlite3.connect(file) as conn:
        for statement in OLD_LAYOUT:
            conn.execute(statement)
    url = f"sqlite:///{file}"
    with pytest.raises(DatabaseError) as caught, Mirror(url) as mirror:
        mirror.open()
    assert str(caught.value) == f"database_url {url}: {EARLIER}"
    assert target_error(run_target(tmp_path, {"database_url": url})) == str(caught.value)
    cli = subprocess.run(
        [str(BIN / "tap-pinterest-mirror"), "--database-url", url, "stats"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (cli.returncode, cli.stdout) == (2, "")
    assert cli.stderr.strip().splitlines()[-1] == f"error: --database-url {url}: {EARLIER}"
    with sqlite3.connect(file) as conn:  # left as it was: nothing migrated, nothing added
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_schema")}
    assert "mirror_layout" not in tables


def test_the_layout_version_decides(db_url: str, tmp_path: Path) -> None:
    assert run_target(tmp_path, {"database_url": db_url}).returncode == 0
    with Mirror(db_url) as mirror:
        assert mirror.stats()["items"]["records"] == 1  # made by this layout: read
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE mirror_layout SET version = version + 1"))
    with pytest.raises(DatabaseError, match="made by a later version of tap-pinterest"):
        Mirror(db_url).open()
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE mirror_layout"))
    engine.dispose()
    message = target_error(run_target(tmp_path, {"database_url": db_url}))
    assert message.endswith(EARLIER)


def test_layout_2_is_read_on_sqlite_and_refused_on_postgresql(db_url: str, tmp_path: Path) -> None:
    """Layout 3 changed PostgreSQL's tables only (the word arrays, `w_<field>`): a SQLite
    mirror of layout 2 is still read; a PostgreSQL one has no arrays to search."""
    assert run_target(tmp_path, {"database_url": db_url}).returncode == 0
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT version FROM mirror_layout")).scalar_one() == 3
        conn.execute(sa.text("UPDATE mirror_layout SET version = 2"))
    engine.dispose()
    if db_url.startswith("sqlite"):
        with Mirror(db_url) as mirror:
            assert mirror.stats()["items"]["records"] == 1
        assert run_target(tmp_path, {"database_url": db_url}).returncode == 0
    else:
        with pytest.raises(DatabaseError, match="made by an earlier layout"):
            Mirror(db_url).open()


# ---- the URL rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "drivername"),
    [
        ("sqlite:///x.db", "sqlite"),
        ("sqlite+pysqlite:///x.db", "sqlite"),
        ("postgresql://u@h/d", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg"),
    ],
)
def test_supported_schemes(url: str, drivername: str) -> None:
    assert database.resolve(url).drivername == drivername


@pytest.mark.parametrize(
    "url", ["mysql://u@h/d", "postgresql+psycopg2://u@h/d", "sqlite+aiosqlite:///x.db", "file:///x"]
)
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(DatabaseError, match="unsupported scheme"):
        database.resolve(url)
    with pytest.raises(DatabaseError, match="unsupported scheme"):
        Mirror(url)


def test_passwords_are_masked_also_as_a_query_parameter() -> None:
    url = f"postgresql+psycopg://127.0.0.1:1/mirror?user=u&password={PASSWORD}"
    with pytest.raises(DatabaseError) as caught:
        database.open_engine(url)
    assert PASSWORD not in str(caught.value)
    assert "password=***" in str(caught.value)
    masked = database.masked(database.resolve(f"postgresql://u:{PASSWORD}@h/d"))
    assert masked == "postgresql+psycopg://u:***@h/d"


def test_the_line_names_the_setting_it_is_given() -> None:
    with pytest.raises(DatabaseError) as caught:
        database.resolve("mysql://h/d")
    assert str(caught.value).startswith("database_url mysql://h/d: unsupported scheme")
    assert caught.value.line("--database-url").startswith("--database-url mysql://h/d:")


def test_a_mirror_of_layout_1_is_refused(db_url: str, tmp_path: Path) -> None:
    """Layout 1 stored records with their null fields; this one reads layout 2."""
    assert run_target(tmp_path, {"database_url": db_url}).returncode == 0
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE mirror_layout SET version = 1"))
    engine.dispose()
    with pytest.raises(DatabaseError) as caught:
        Mirror(db_url).open()
    assert str(caught.value).endswith(EARLIER)
    assert target_error(run_target(tmp_path, {"database_url": db_url})).endswith(EARLIER)
