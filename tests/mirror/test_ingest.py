"""The target's record path: records pass through as JSON text (byte offsets, Singer
metadata, the SDK's path for stream maps), the text index follows updates and deletes,
and the writer's long transactions commit when due."""

from __future__ import annotations

import io
import json
import os
import threading
import time
from contextlib import redirect_stdout
from typing import Any

import pytest

from tap_pinterest.mirror import Mirror
from tap_pinterest.mirror.db.errors import InputError
from tap_pinterest.mirror.load import lanes, sink
from tap_pinterest.mirror.load.ingest import InputFeed
from tap_pinterest.mirror.load.target import TargetPinterestMirror
from tests.mirror.conftest import (
    ITEMS_SCHEMA,
    item,
    load_items,
    record_message,
    run_target,
    schema_message,
)


def _keyword(m: Mirror, word: str) -> list[str]:
    found = m.search("items", {"filter": {"keyword": {"title": word}}})["data"]
    return [r["id"] for r in found]


def test_non_ascii_records_keep_their_bytes(db_url: str) -> None:
    """Records are cut from one buffer by byte offsets: multi-byte text must not shift
    the records after it."""
    records = [item(i, title=f"Grüße aus Köln 日本 {'é' * i} marker{i}") for i in range(6)]
    records.append(item(9, description="plain ascii after the others"))
    messages = [schema_message("items", ITEMS_SCHEMA, ["id"])]
    _run(db_url, messages + [record_message("items", r) for r in records])  # UTF-8 lines
    with Mirror(db_url) as m:
        for record in records:
            assert m.get("items", record["id"]) == record
        assert _keyword(m, "marker4") == ["item004"]


def test_singer_metadata_in_a_record_is_not_stored(db_url: str) -> None:
    record = item(1)
    load_items(db_url, [{**record, "_sdc_extracted_at": "2024-01-01T00:00:00Z",
                         "_sdc_table_version": 5, "_sdc_sequence": 1}])  # fmt: skip
    with Mirror(db_url) as m:
        assert m.get("items", "item001") == record


def test_an_update_replaces_the_indexed_text_and_a_delete_removes_it(db_url: str) -> None:
    load_items(db_url, [item(1, title="Crimson velvet"), item(2, title="Crimson linen")])
    load_items(db_url, [item(1, title="Emerald silk")])
    with Mirror(db_url) as m:
        assert _keyword(m, "crimson") == ["item002"]
        assert _keyword(m, "emerald") == ["item001"]
    load_items(db_url, [item(1, title="Emerald silk", _sdc_deleted_at="2024-01-01T00:00:00Z")])
    with Mirror(db_url) as m:
        assert _keyword(m, "emerald") == []
        assert _keyword(m, "crimson") == ["item002"]


def test_integer_keys_and_numbers(db_url: str) -> None:
    schema = {"properties": {"id": {"type": "integer"}, "ratio": {"type": ["number", "null"]},
                             "name": {"type": ["string", "null"]}}}  # fmt: skip
    rows = [{"id": i, "ratio": i / 8, "name": f"n{i}"} for i in range(1, 4)]
    messages = [schema_message("things", schema, ["id"])]
    messages += [record_message("things", r) for r in rows]
    run_target(db_url, messages)
    run_target(db_url, messages)
    with Mirror(db_url) as m:
        assert m.stats()["things"]["records"] == 3
        assert m.get("things", 2) == rows[1]
        found = m.search("things", {"filter": {"gt": {"ratio": 0.2}}})["data"]
        assert sorted(r["id"] for r in found) == [2, 3]


def _run(url: str, messages: list[dict[str, Any]], **config: Any) -> list[dict[str, Any]]:
    tgt = TargetPinterestMirror(config={"database_url": url, **config})
    out = io.StringIO()
    with redirect_stdout(out):
        lines = "".join(json.dumps(m, ensure_ascii=False) + "\n" for m in messages)
        tgt.listen(file_input=io.StringIO(lines))
    tgt.store.engine.dispose()
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_stream_maps_take_the_sdks_record_path(db_url: str) -> None:
    messages = [schema_message("items", ITEMS_SCHEMA, ["id"])]
    messages += [record_message("items", item(i)) for i in range(3)]
    _run(db_url, messages, stream_maps={"items": {"description": None}})
    with Mirror(db_url) as m:
        got = m.get("items", "item001")
        assert got is not None
        assert "description" not in got
        assert got["title"] == item(1)["title"]


def test_long_transactions_commit_every_commit_rows(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lanes, "COMMIT_ROWS", 4)
    monkeypatch.setattr(sink.MirrorSink, "MAX_SIZE_DEFAULT", 3)
    messages: list[dict[str, Any]] = [schema_message("items", ITEMS_SCHEMA, ["id"])]
    for i in range(20):
        messages.append(record_message("items", item(i % 15, title=f"Version {i}")))
        if i % 7 == 6:
            messages.append({"type": "STATE", "value": {"at": i}})
    states = run_target(db_url, messages)
    assert states == [{"at": 6}, {"at": 13}]
    with Mirror(db_url) as m:
        assert m.stats()["items"]["records"] == 15
        assert m.get("items", "item003")["title"] == "Version 18"
        assert m.get("items", "item007")["title"] == "Version 7"


@pytest.mark.parametrize("record", [{"title": "no key"}, {"id": None, "title": "null key"}])
def test_a_record_without_its_key_fails_the_target(db_url: str, record: dict) -> None:
    messages = [schema_message("items", ITEMS_SCHEMA, ["id"])]
    messages += [record_message("items", record), {"type": "STATE", "value": 1}]
    with pytest.raises(InputError, match=r"line 2 of the input \(stream .items.\): a RECORD "
                       r'has no value for its key property .id. .*"title"'):  # fmt: skip
        run_target(db_url, messages)


def test_a_malformed_line_fails_the_target(db_url: str) -> None:
    tgt = TargetPinterestMirror(config={"database_url": db_url})
    schema = json.dumps(schema_message("items", ITEMS_SCHEMA, ["id"]))
    lines = f'{schema}\n{{"type": "RECORD", "stream": "items", "record": {{"id": \n'
    with (
        pytest.raises(InputError, match=r"^line 2 of the input: Unable to parse"),
        redirect_stdout(io.StringIO()),
    ):
        tgt.listen(file_input=io.StringIO(lines))
    tgt.store.engine.dispose()


def test_the_input_feed_yields_whole_lines_and_idles_between_them() -> None:
    """Lines split across writes arrive whole, a last line without a newline too; while
    nothing comes and `idle_after` gives a time, `on_idle` runs (on the iterating thread)."""
    read_end, write_end = os.pipe()
    idled = threading.Event()
    waiting = {"timeout": 0.01}

    def on_idle() -> None:
        idled.set()
        waiting["timeout"] = None  # idle once, then wait for the lines as long as it takes

    feed = InputFeed(read_end, lambda: waiting["timeout"], on_idle)

    def write() -> None:
        assert idled.wait(10)
        for piece in (b'{"a": 1}\n{"b"', b": 2}\n", b"\xc3\xa9\n", b'{"c": 3}'):
            os.write(write_end, piece)
            time.sleep(0.01)
        os.close(write_end)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert list(feed) == ['{"a": 1}', '{"b": 2}', "é", '{"c": 3}']
    finally:
        writer.join()
        os.close(read_end)
    assert idled.is_set()
