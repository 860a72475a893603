"""A message the target cannot take ends the load with one line: the input line number,
the stream and what is wrong. Keys are scalars. BATCH files are read only from the
directories `batch_directories` names."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tap_pinterest.mirror import Mirror
from tap_pinterest.mirror.db.errors import InputError
from tap_pinterest.mirror.load.target import TargetPinterestMirror
from tests.mirror.conftest import (
    ITEMS_SCHEMA,
    item,
    load_items,
    record_message,
    run_target,
    schema_message,
)

TARGET = Path(sys.executable).with_name("target-pinterest-mirror")
SCHEMA = schema_message("items", ITEMS_SCHEMA, ["id"])


def _lines(*messages: Any) -> str:
    return "".join((m if isinstance(m, str) else json.dumps(m)) + "\n" for m in messages)


def _load(db_url: str, text: str, **config: Any) -> None:
    target = TargetPinterestMirror(config={"database_url": db_url, **config})
    try:
        with redirect_stdout(io.StringIO()):
            target.listen(file_input=io.StringIO(text))
    finally:
        target.store.engine.dispose()


@pytest.mark.parametrize(
    ("line", "stream", "problem"),
    [
        (
            {"type": "ACTIVATE_VERSION", "stream": "nostream", "version": 1},
            "nostream",
            "ACTIVATE_VERSION for a stream that no SCHEMA message declared before it",
        ),
        (
            {"type": "ACTIVATE_VERSION", "stream": "items", "version": "x"},
            "items",
            "ACTIVATE_VERSION's version must be an integer, got 'x'",
        ),
        (
            '{"type": "RECORD", "stream": "items", "record": [1, 2]}',
            "items",
            "a RECORD's record must be a JSON object, got: b'[1, 2]'",
        ),
        (
            {"type": "RECORD", "stream": "items", "record": {"id": {"a": 1}, "title": "t"}},
            "items",
            "a RECORD has an object, not a string, number or boolean, for its key property",
        ),
        (
            {"type": "RECORD", "stream": "items", "record": {"id": ["a"], "title": "t"}},
            "items",
            "a RECORD has an array, not a string, number or boolean, for its key property",
        ),
        (
            {"type": "RECORD", "stream": "nostream", "record": {"id": "1"}},
            "nostream",
            "A record for stream 'nostream' was encountered before a corresponding schema",
        ),
        ('{"type": "RECORD", "stream": "items", "record": {"id": ', None, "Unable to parse"),
        ({"type": "HELLO", "stream": "items"}, "items", "unknown message type 'HELLO'"),
    ],
)
def test_a_bad_message_is_one_line_naming_line_stream_and_problem(
    db_url: str, line: Any, stream: str | None, problem: str
) -> None:
    text = _lines(SCHEMA, record_message("items", item(1)), {"type": "STATE", "value": 1}, line)
    with pytest.raises(InputError) as caught:
        _load(db_url, text)
    error = caught.value
    assert (error.line, error.stream) == (4, stream)
    assert problem in str(error)
    assert str(error).startswith(
        f"line 4 of the input{f' (stream {stream!r})' if stream else ''}: "
    )
    assert "\n" not in str(error)


def test_a_missing_key_names_the_line(db_url: str) -> None:
    text = _lines(SCHEMA, record_message("items", {"title": "no key"}))
    with pytest.raises(InputError, match=r"^line 2 of the input \(stream 'items'\): a RECORD "
                       r"has no value for its key property 'id'"):  # fmt: skip
        _load(db_url, text)


def test_a_composite_key_must_be_scalar_too(db_url: str) -> None:
    schema = {"properties": {"campaign_id": {"type": "string"}, "date": {"type": "string"}}}
    messages = [schema_message("campaign_analytics", schema, ["campaign_id", "date"])]
    messages.append(record_message("campaign_analytics", {"campaign_id": "c", "date": {"d": 1}}))
    with pytest.raises(
        InputError, match=r"line 2 .* an object, not a string.* key property 'date'"
    ):
        run_target(db_url, messages)


def test_the_command_line_reports_invalid_utf8_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "mirror.json"
    config.write_text(json.dumps({"database_url": f"sqlite:///{tmp_path / 'm.db'}"}))
    good = _lines(SCHEMA, record_message("items", item(1))).encode()
    bad = b'{"type": "RECORD", "stream": "items", "record": {"id": "x\xff"}}\n'
    result = subprocess.run(
        [str(TARGET), "--config", str(config)],
        input=good + bad,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    errors = [line for line in result.stderr.decode().splitlines() if "line 3 of the input" in line]
    assert len(errors) == 1, result.stderr.decode()[-2000:]
    assert "not valid UTF-8 (invalid start byte at byte 58 of the line)" in errors[0]
    assert "Traceback" not in result.stderr.decode()


def test_a_write_the_database_refuses_is_one_line_and_no_state(db_url: str, tmp_path: Path) -> None:
    """A write that fails during a load (here a trigger refuses every insert) ends the
    command line with one error line naming the database, what the driver said and what
    to do; the STATE after the refused records is not written."""
    load_items(db_url, [item(1)])
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON mirror_items "
                "BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'refused by a test trigger'; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON mirror_items "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
    engine.dispose()
    config = tmp_path / "mirror.json"
    config.write_text(json.dumps({"database_url": db_url}))
    messages = [SCHEMA, *(record_message("items", item(i)) for i in range(2, 5))]
    result = subprocess.run(
        [str(TARGET), "--config", str(config)],
        input=_lines(*messages, {"type": "STATE", "value": {"done": 1}}).encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    stderr = result.stderr.decode()
    assert result.returncode == 1, stderr[-2000:]
    errors = [line for line in stderr.splitlines() if "| ERROR" in line]
    assert len(errors) == 1, stderr[-2000:]
    assert "database_url " in errors[0]
    assert "a write to the mirror failed: refused by a test trigger;" in errors[0]
    assert errors[0].endswith(
        "run the sync again: it resumes from the last STATE the "
        "target wrote, and loads the records after it again"
    )
    assert "Traceback" not in stderr
    assert result.stdout.decode() == ""  # no STATE: its records are not in the mirror
    with Mirror(db_url) as mirror:
        assert mirror.stats()["items"]["records"] == 1


def _batch_message(path: Path) -> dict[str, Any]:
    return {
        "type": "BATCH",
        "stream": "items",
        "encoding": {"format": "jsonl", "compression": "gzip"},
        "manifest": [path.as_uri()],
    }


def _batch_file(path: Path, records: list[dict[str, Any]]) -> Path:
    with gzip.open(path, "wt") as out:
        out.writelines(json.dumps(r) + "\n" for r in records)
    return path


def test_batch_messages_are_refused_by_default(db_url: str, tmp_path: Path) -> None:
    text = _lines(SCHEMA, _batch_message(Path("/etc/passwd")))
    with pytest.raises(InputError, match=r"line 2 .*BATCH messages are refused: set "
                       r"batch_directories"):  # fmt: skip
        _load(db_url, text)


@pytest.mark.parametrize("name", ["/etc/passwd", "{allowed}/../outside.jsonl.gz"])
def test_a_batch_file_outside_the_allowed_directories_is_not_read(
    db_url: str, tmp_path: Path, name: str
) -> None:
    allowed = tmp_path / "batches"
    allowed.mkdir()
    outside = _batch_file(tmp_path / "outside.jsonl.gz", [item(5)])
    assert outside.exists()
    path = Path(name.format(allowed=allowed))
    text = _lines(SCHEMA, _batch_message(path))
    with pytest.raises(InputError, match=r"is outside batch_directories .*; not read"):
        _load(db_url, text, batch_directories=[str(allowed)])


def test_a_batch_file_inside_an_allowed_directory_is_loaded(db_url: str, tmp_path: Path) -> None:
    allowed = tmp_path / "batches"
    allowed.mkdir()
    path = _batch_file(allowed / "items-1.jsonl.gz", [item(1), item(2, title="From a batch")])
    _load(db_url, _lines(SCHEMA, _batch_message(path)), batch_directories=[str(allowed)])
    with Mirror(db_url) as m:
        assert m.stats()["items"]["records"] == 2
        assert m.get("items", "item002")["title"] == "From a batch"
